// `cbox build --metered`: rewrites a linked module so the host can stop a C call on the main
// thread (V8 cannot interrupt wasm) and give it a deterministic budget of work.
//
// Fuel lives in one exported global. A function that can run without bound (it has a loop, or
// calls something that can) copies the global into a local at entry and charges the local: at
// entry with the static size of the code outside its loops, at the top of every loop iteration
// with the static size of the loop body (inner loops charge for themselves). The local is written
// back before calls into metered code and at every exit, and read again after such calls, so the
// accounting is exact and the same on every run. When the local falls below zero the function
// calls the one host import (cbox.meter), which checks the deadline and the budget and refills
// the global or throws. Loop-free leaves are left alone: their cost is bounded by their size.
//
// binaryen.js (the Binaryen project's own build, on npm) reads and writes the module: it keeps
// the name section with debug info on, so C names still appear in traps.
import binaryen from 'binaryen';
import { FUEL_GLOBAL_EXPORT, METER_IMPORT_MODULE, METER_IMPORT_NAME } from '../runtime/metering/abi.js';

/** Only what V8 11.3 (Node 20) reads; Features.All would emit encodings it rejects. */
const FEATURES = binaryen.Features.MVP | binaryen.Features.MutableGlobals | binaryen.Features.SignExt
  | binaryen.Features.NontrappingFPToInt | binaryen.Features.BulkMemory | binaryen.Features.SIMD128
  | binaryen.Features.Multivalue;

const FUEL = 'cbox$fuel';
const METER = 'cbox$meter';

export class MeteringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MeteringError';
  }
}

type Ref = number;
interface Slot { get(): Ref; set(value: Ref): void }

// The expression children of every kind a wasm32 C module contains, in evaluation order.
const FIXED_CHILDREN: ReadonlyMap<number, readonly [string, readonly string[]]> = new Map([
  [binaryen.IfId, ['If', ['Condition', 'IfTrue', 'IfFalse']]],
  [binaryen.LoopId, ['Loop', ['Body']]],
  [binaryen.BreakId, ['Break', ['Value', 'Condition']]],
  [binaryen.SwitchId, ['Switch', ['Value', 'Condition']]],
  [binaryen.LocalSetId, ['LocalSet', ['Value']]],
  [binaryen.GlobalSetId, ['GlobalSet', ['Value']]],
  [binaryen.MemoryGrowId, ['MemoryGrow', ['Delta']]],
  [binaryen.LoadId, ['Load', ['Ptr']]],
  [binaryen.StoreId, ['Store', ['Ptr', 'Value']]],
  [binaryen.UnaryId, ['Unary', ['Value']]],
  [binaryen.BinaryId, ['Binary', ['Left', 'Right']]],
  [binaryen.SelectId, ['Select', ['IfTrue', 'IfFalse', 'Condition']]],
  [binaryen.DropId, ['Drop', ['Value']]],
  [binaryen.ReturnId, ['Return', ['Value']]],
  [binaryen.SIMDExtractId, ['SIMDExtract', ['Vec']]],
  [binaryen.SIMDReplaceId, ['SIMDReplace', ['Vec', 'Value']]],
  [binaryen.SIMDShuffleId, ['SIMDShuffle', ['Left', 'Right']]],
  [binaryen.SIMDTernaryId, ['SIMDTernary', ['A', 'B', 'C']]],
  [binaryen.SIMDShiftId, ['SIMDShift', ['Vec', 'Shift']]],
  [binaryen.SIMDLoadId, ['SIMDLoad', ['Ptr']]],
  [binaryen.SIMDLoadStoreLaneId, ['SIMDLoadStoreLane', ['Ptr', 'Vec']]],
  [binaryen.MemoryInitId, ['MemoryInit', ['Dest', 'Offset', 'Size']]],
  [binaryen.MemoryCopyId, ['MemoryCopy', ['Dest', 'Source', 'Size']]],
  [binaryen.MemoryFillId, ['MemoryFill', ['Dest', 'Value', 'Size']]],
  [binaryen.TupleExtractId, ['TupleExtract', ['Tuple']]],
  [binaryen.NopId, ['Nop', []]], [binaryen.UnreachableId, ['Unreachable', []]], [binaryen.LocalGetId, ['LocalGet', []]],
  [binaryen.GlobalGetId, ['GlobalGet', []]], [binaryen.ConstId, ['Const', []]], [binaryen.MemorySizeId, ['MemorySize', []]],
  [binaryen.DataDropId, ['DataDrop', []]],
]);

const LISTED_CHILDREN: ReadonlyMap<number, readonly [kind: string, count: string, child: string]> = new Map([
  [binaryen.BlockId, ['Block', 'getNumChildren', 'ChildAt']], [binaryen.CallId, ['Call', 'getNumOperands', 'OperandAt']],
  [binaryen.CallIndirectId, ['CallIndirect', 'getNumOperands', 'OperandAt']], [binaryen.TupleMakeId, ['TupleMake', 'getNumOperands', 'OperandAt']],
]);

const api = binaryen as unknown as Record<string, Record<string, (...args: number[]) => number>>;
/** The per-kind accessors binaryen.js has at run time but its typings leave out. */
const kinds = binaryen as unknown as {
  Function: { getBody(func: Ref): Ref; setBody(func: Ref, body: Ref): void };
  Loop: { setBody(loop: Ref, body: Ref): void };
  Call: { getTarget(call: Ref): string; isReturn(call: Ref): boolean };
  CallIndirect: { getTarget(call: Ref): Ref; setTarget(call: Ref, target: Ref): void; isReturn(call: Ref): boolean };
};

function slots(expr: Ref): Slot[] {
  const id = binaryen.getExpressionId(expr);
  const listed = LISTED_CHILDREN.get(id);
  if (listed) {
    const [kind, count, child] = listed;
    const result: Slot[] = Array.from({ length: api[kind]![count]!(expr) }, (_, index) => ({
      get: () => api[kind]![`get${child}`]!(expr, index),
      set: (value: Ref) => { api[kind]![`set${child}`]!(expr, index, value); },
    }));
    if (id === binaryen.CallIndirectId) result.push({ get: () => kinds.CallIndirect.getTarget(expr), set: (value) => kinds.CallIndirect.setTarget(expr, value) });
    return result;
  }
  const fixed = FIXED_CHILDREN.get(id);
  if (!fixed) throw new MeteringError(`cannot meter a module using the wasm expression kind ${id} (${binaryen.emitText(expr).split('\n')[0]})`);
  const [kind, names] = fixed;
  return names.map((name) => ({
    get: () => api[kind]![`get${name}`]!(expr),
    set: (value: Ref) => { api[kind]![`set${name}`]!(expr, value); },
  })).filter((slot) => slot.get() !== 0);
}

interface Visited {
  readonly expr: Ref;
  /** Static size of the code that runs once per visit (loop bodies excluded). */
  readonly cost: number;
  /** It charges or refreshes the fuel local (contains a loop or a call into metered code). */
  readonly touchesFuel: boolean;
}

/** Per-function rewriter; `metered` names the functions that keep a fuel local. */
class FunctionMeter {
  private readonly fuelLocal: number;
  private loops = 0;

  constructor(private readonly module: binaryen.Module, private readonly func: binaryen.FunctionRef, private readonly metered: ReadonlySet<string>) {
    this.fuelLocal = this.addLocal(binaryen.i32);
  }

  /** binaryen.js wraps no "add a local"; the C API's BinaryenFunctionAddVar returns its index. */
  private addLocal(type: number): number {
    return (binaryen as unknown as { _BinaryenFunctionAddVar(func: number, type: number): number })._BinaryenFunctionAddVar(this.func, type);
  }

  private flush(): Ref {
    return this.module.global.set(FUEL, this.module.local.get(this.fuelLocal, binaryen.i32));
  }

  private reload(): Ref {
    return this.module.local.set(this.fuelLocal, this.module.global.get(FUEL, binaryen.i32));
  }

  /** fuel -= cost; below zero: hand the balance to the host, which refills it or throws. */
  private charge(cost: number): Ref {
    const m = this.module;
    return m.block(null, [
      m.local.set(this.fuelLocal, m.i32.sub(m.local.get(this.fuelLocal, binaryen.i32), m.i32.const(cost))),
      m.if(m.i32.lt_s(m.local.get(this.fuelLocal, binaryen.i32), m.i32.const(0)),
        m.block(null, [this.flush(), m.call(METER, [], binaryen.none), this.reload()], binaryen.none)),
    ], binaryen.none);
  }

  run(): void {
    const m = this.module;
    const body = this.visit(kinds.Function.getBody(this.func));
    const type = binaryen.getExpressionType(body.expr);
    const prologue = [this.reload(), this.charge(Math.max(1, body.cost))];
    let wrapped: Ref;
    if (type === binaryen.none) wrapped = m.block(null, [...prologue, body.expr, this.flush()], binaryen.none);
    else if (type === binaryen.unreachable) wrapped = m.block(null, [...prologue, body.expr], binaryen.auto);
    else {
      const result = this.addLocal(type);
      wrapped = m.block(null, [...prologue, m.local.set(result, body.expr), this.flush(), m.local.get(result, type)], type);
    }
    kinds.Function.setBody(this.func, wrapped);
  }

  private visit(expr: Ref): Visited {
    const id = binaryen.getExpressionId(expr);
    let cost = 1;
    let touchesFuel = false;
    const children = slots(expr);
    const visited = children.map((slot) => {
      const child = this.visit(slot.get());
      if (child.expr !== slot.get()) slot.set(child.expr);
      cost += child.cost;
      touchesFuel ||= child.touchesFuel;
      return child;
    });
    if (id === binaryen.LoopId) return { expr: this.meterLoop(expr, visited[0]!), cost: 1, touchesFuel: true };
    if (id === binaryen.ReturnId) return { expr: this.exitThrough(expr, children[0]), cost, touchesFuel };
    if ((id === binaryen.CallId && this.metered.has(kinds.Call.getTarget(expr))) || id === binaryen.CallIndirectId) {
      if ((id === binaryen.CallId ? kinds.Call : kinds.CallIndirect).isReturn(expr)) throw new MeteringError('cannot meter tail calls (return_call)');
      return { expr: this.syncAround(expr, children, visited.some((child) => child.touchesFuel)), cost, touchesFuel: true };
    }
    return { expr, cost, touchesFuel };
  }

  /**
   * The loop charges at its top and, when the fuel runs out, leaves through a branch to a refuel
   * path outside it, which calls the host and re-enters the loop at its top (all loop state is in
   * locals, so that continues the same iteration; the charge taken again is given back). A call
   * inside the loop would make V8 spill the loop's registers around it on every turn (measured:
   * up to 1.7x on tight kernels); outside it, the hot loop holds no call at all:
   *
   *   block $done            ;; the loop's value, if any, leaves through here
   *     loop $again
   *       block $refuel
   *         (br $done (loop $L (fuel -= cost) (br_if $refuel (fuel < 0)) body))
   *       end
   *       flush, call cbox.meter, reload, fuel += cost
   *       br $again
   */
  private meterLoop(loop: Ref, body: Visited): Ref {
    const m = this.module;
    const cost = Math.max(1, body.cost);
    const labels = ++this.loops;
    const [done, again, refuel] = ['done', 'again', 'refuel'].map((kind) => `cbox$${kind}${labels}`) as [string, string, string];
    const fuel = (): Ref => m.local.get(this.fuelLocal, binaryen.i32);
    kinds.Loop.setBody(loop, m.block(null, [
      m.local.set(this.fuelLocal, m.i32.sub(fuel(), m.i32.const(cost))),
      m.br(refuel, m.i32.lt_s(fuel(), m.i32.const(0))),
      body.expr,
    ], binaryen.auto));
    const type = binaryen.getExpressionType(loop);
    const leave = type === binaryen.unreachable ? [loop] : type === binaryen.none ? [loop, m.br(done)] : [m.br(done, 0, loop)];
    return m.block(done, [m.loop(again, m.block(null, [
      m.block(refuel, leave, binaryen.none),
      this.flush(), m.call(METER, [], binaryen.none), this.reload(),
      m.local.set(this.fuelLocal, m.i32.add(fuel(), m.i32.const(cost))),
      m.br(again),
    ], binaryen.none))], binaryen.auto);
  }

  /** `return v` -> evaluate v, write the fuel back, return it. */
  private exitThrough(ret: Ref, value: Slot | undefined): Ref {
    const m = this.module;
    if (!value) return m.block(null, [this.flush(), ret], binaryen.auto);
    const type = binaryen.getExpressionType(value.get());
    if (type === binaryen.unreachable) return ret;
    const temp = this.addLocal(type);
    value.set(m.block(null, [m.local.set(temp, value.get()), this.flush(), m.local.get(temp, type)], type));
    return ret;
  }

  /** A call into metered code: the callee reads and writes the global, so the local is written
   * before it (after the operands, which may charge it themselves) and read back after it. */
  private syncAround(call: Ref, operands: readonly Slot[], operandsTouchFuel: boolean): Ref {
    const m = this.module;
    const type = binaryen.getExpressionType(call);
    if (type === binaryen.unreachable) return call;
    if (binaryen.expandType(type).length > 1) throw new MeteringError('cannot meter calls returning several values');
    const before: Ref[] = [];
    if (operandsTouchFuel) {
      for (const operand of operands) {
        const operandType = binaryen.getExpressionType(operand.get());
        const temp = this.addLocal(operandType);
        before.push(m.local.set(temp, operand.get()));
        operand.set(m.local.get(temp, operandType));
      }
    }
    before.push(this.flush());
    if (type === binaryen.none) return m.block(null, [...before, call, this.reload()], binaryen.none);
    const result = this.addLocal(type);
    return m.block(null, [...before, m.local.set(result, call), this.reload(), m.local.get(result, type)], type);
  }
}

interface FunctionShape { readonly name: string; readonly imported: boolean; readonly loops: boolean; readonly indirect: boolean; readonly callees: Set<string> }

function shapeOf(func: binaryen.FunctionRef): FunctionShape {
  const info = binaryen.getFunctionInfo(func);
  const shape = { name: info.name, imported: Boolean(info.module), loops: false, indirect: false, callees: new Set<string>() };
  if (shape.imported) return shape;
  const stack = [info.body];
  while (stack.length > 0) {
    const expr = stack.pop()!;
    const id = binaryen.getExpressionId(expr);
    if (id === binaryen.LoopId) shape.loops = true;
    else if (id === binaryen.CallIndirectId) shape.indirect = true;
    else if (id === binaryen.CallId) shape.callees.add(kinds.Call.getTarget(expr));
    for (const slot of slots(expr)) stack.push(slot.get());
  }
  return shape;
}

/** Functions that may run without bound: loops, indirect calls, or calls (transitively) to such. */
function meteredFunctions(shapes: readonly FunctionShape[]): Set<string> {
  const bounded = new Set(shapes.filter((shape) => shape.imported).map((shape) => shape.name));
  for (let changed = true; changed;) {
    changed = false;
    for (const shape of shapes) {
      if (bounded.has(shape.name) || shape.loops || shape.indirect) continue;
      if ([...shape.callees].every((callee) => bounded.has(callee))) { bounded.add(shape.name); changed = true; }
    }
  }
  return new Set(shapes.filter((shape) => !bounded.has(shape.name)).map((shape) => shape.name));
}

export interface MeteringSummary {
  readonly functions: number;
  readonly meteredFunctions: number;
}

/** The metered version of a linked cbox module (name section kept). */
export function meterModule(wasm: Uint8Array): { wasm: Uint8Array; summary: MeteringSummary } {
  binaryen.setDebugInfo(true);
  const module = (binaryen.readBinary as (data: Uint8Array, features: number) => binaryen.Module)(wasm, FEATURES);
  try {
    const shapes = Array.from({ length: module.getNumFunctions() }, (_, index) => shapeOf(module.getFunctionByIndex(index)));
    if (shapes.some((shape) => shape.imported && shape.name === METER)) throw new MeteringError('the module is metered already');
    const metered = meteredFunctions(shapes);
    module.addGlobal(FUEL, binaryen.i32, true, module.i32.const(0));
    module.addGlobalExport(FUEL, FUEL_GLOBAL_EXPORT);
    module.addFunctionImport(METER, METER_IMPORT_MODULE, METER_IMPORT_NAME, binaryen.none, binaryen.none);
    for (const name of metered) new FunctionMeter(module, module.getFunction(name), metered).run();
    if (!module.validate()) throw new MeteringError('the metered module does not validate (a cbox bug: please report it)');
    return { wasm: module.emitBinary(), summary: { functions: shapes.filter((shape) => !shape.imported).length, meteredFunctions: metered.size } };
  } finally {
    module.dispose();
  }
}
