export { buildTrainingSetSql, pointInTimeJoin, type PointInTimeJoinRequest, type TrainingSetResult, type TrainingSetSqlOptions } from './point-in-time-join.js';
export { trainingColumns, type TrainingColumn, type ViewRequest } from './training-columns.js';
export { checkSpine, EVENT_TIMESTAMP, type SpineColumn } from './spine.js';
export { latestValuesSql, streamLatestValues, countLatestValues, EVENT_TS_COLUMN, type LatestValuesRange } from './latest-values.js';
export { offlineLatestValues, type LatestValues } from './latest-values-source.js';
