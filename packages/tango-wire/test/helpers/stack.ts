// The real Tango stack and PyTango for this package's tests (DevState values as numbers).
import { runPyTango } from '../../src/testkit.js';

export { SYSTEM_PYTHON, TANGO_HOST, TEST_DEVICE, changesTangoTest, havePyTango, tangoStackUp as stackUp } from '../../src/testkit.js';

export function pytango<T>(code: string, inp: unknown = null): T {
  return runPyTango<T>(code, inp);
}
