// Keras 3's distribution API (DeviceMesh, TensorLayout, LayoutMap, DataParallel, ModelParallel)
// and KerasHub's Gemma layout map.
export { DeviceMesh, listDevices, type DeviceArray, type DeviceName } from './device-mesh.js';
export { TensorLayout, type LayoutAxes } from './tensor-layout.js';
export { LayoutMap } from './layout-map.js';
export { gemmaLayoutMap } from './gemma-layout-map.js';
export {
  DataParallel,
  ModelParallel,
  defaultBatchDimName,
  type DataParallelOptions,
  type ModelParallelOptions,
  type VariableDescription,
} from './distributions.js';
