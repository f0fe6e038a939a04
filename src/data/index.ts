export { Dataset, fromTensorSlices, array, generator, type Element, type MapContext } from './dataset.js';
export { csv, CsvDataset, CsvDataset as CSVDataset, type ColumnConfig, type CsvConfig, type CsvElement, type CsvRow, type CsvValue } from './csv.js';
export { zip, type DatasetContainer } from './zip.js';
export { concatenate } from './concatenate.js';
export { func } from './func.js';
