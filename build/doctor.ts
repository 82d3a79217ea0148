// `cbox doctor`: what of the toolchain is there, what is missing, and the exact line to fix it.
// It only looks: nothing is created or linked while diagnosing.
import { nodeIncludeCandidate } from './native/build-addon.js';
import { APT_INSTALL, inspectToolchain } from './toolchain.js';

/** The oldest Node major cbox runs on (package.json "engines"). */
export const MINIMUM_NODE_MAJOR = 20;

export interface DoctorInputs {
  /** process.versions.node unless given (tests pass an old one). */
  readonly nodeVersion?: string;
}

export function doctorReport(inputs: DoctorInputs = {}): { ok: boolean; text: string } {
  const { checks, toolchain } = inspectToolchain();
  const lines = checks.map((check) => `${check.found ? 'ok     ' : 'MISSING'} ${check.what}${check.found ? `: ${check.found}` : ` (${check.hint})`}`);
  const nodeVersion = inputs.nodeVersion ?? process.versions.node;
  const nodeOk = Number(nodeVersion.split('.')[0]) >= MINIMUM_NODE_MAJOR;
  lines.push(nodeOk ? `ok      node v${nodeVersion}` : `TOO OLD node v${nodeVersion} (cbox needs Node ${MINIMUM_NODE_MAJOR} or newer)`);
  const nodeApi = nodeIncludeCandidate();
  lines.push(nodeApi.found ? `ok      node_api.h (for "native" exports): ${nodeApi.dir}`
    : `MISSING node_api.h (for "native" exports): not in ${nodeApi.dir}; install Node's headers or set CBOX_NODE_INCLUDE (or build with --no-native)`);
  if (!toolchain) {
    lines.push('', 'To install the toolchain on Debian 12 (as root):', `  apt-get update && ${APT_INSTALL}`,
      '(in a cbox checkout, bash build/setup.sh does this and npm ci). Override discovery with CBOX_CLANG, CBOX_WASM_LD, CBOX_WASI_SYSROOT.');
  }
  if (!nodeOk) lines.push('', `Install Node ${MINIMUM_NODE_MAJOR} or newer: cbox's runtime and build need it.`);
  const ok = toolchain !== null && nodeOk && nodeApi.found;
  if (ok) lines.push('', `Ready: cbox build uses ${toolchain.clang} with sysroot ${toolchain.sysroot}.`);
  return { ok, text: lines.join('\n') };
}
