export { Dataset, fromTensorSlices, array, generator, type Element, type MapContext } from './dataset.js';
