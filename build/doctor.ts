// `cbox doctor`: what of the toolchain is there, what is missing, and the exact line to fix it.
import { APT_INSTALL, inspectToolchain } from './toolchain.js';

export function doctorReport(): { ok: boolean; text: string } {
  const { checks, toolchain } = inspectToolchain();
  const lines = checks.map((check) => `${check.found ? 'ok     ' : 'MISSING'} ${check.what}${check.found ? `: ${check.found}` : ` (${check.hint})`}`);
  lines.push(`ok      node ${process.version}${Number(process.versions.node.split('.')[0]) < 20 ? ' (cbox needs Node 20 or newer)' : ''}`);
  if (!toolchain) {
    lines.push('', 'To install the toolchain on Debian 12 (as root):', `  apt-get update && ${APT_INSTALL}`,
      '(in a cbox checkout, bash build/setup.sh does this and npm ci). Override discovery with CBOX_CLANG, CBOX_WASM_LD, CBOX_WASI_SYSROOT.');
  } else {
    lines.push('', `Ready: cbox build uses ${toolchain.clang} with sysroot ${toolchain.sysroot}.`);
  }
  return { ok: toolchain !== null, text: lines.join('\n') };
}
