export {
  JobQueue,
  oncePerCluster,
  retryLater,
  type Job,
  type JobPolicy,
  type JobState,
  type NewJob,
  type RetryLater,
} from './job-queue';
export {
  JobRunner,
  exponentialBackoff,
  type JobHandler,
  type JobKindOptions,
  type JobRunnerOptions,
  type RecurringHandler,
  type RecurringPolicy,
} from './job-runner';
