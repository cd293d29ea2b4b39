export { ClusterPicker } from './ClusterPicker';
export { GpuProductPicker, productsOf } from './GpuProductPicker';
