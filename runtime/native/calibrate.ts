// calibrate(binding): the measurement engine 'auto' runs at load, on its own, so its decisions
// can be inspected, stored and handed to load(binding, { engine: 'auto', calibration }).
import type { Binding } from '../binding.js';
import { load } from '../load.js';
import { runCalibration, type Calibration, type CalibrationOptions } from './calibration.js';

export function calibrate<T>(binding: Binding<T>, options?: CalibrationOptions): Promise<Calibration> {
  return runCalibration(binding, (target) => load(target, { spare: false, logger: null }), options);
}
