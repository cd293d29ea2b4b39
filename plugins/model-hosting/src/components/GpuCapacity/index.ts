export { GpuCapacity } from './GpuCapacity';
