import { Sinks, WorkflowInterceptorsFactory, proxySinks } from '@temporalio/workflow';

/**
 * Loaded into the replay bundle only: reports every activity the workflow
 * schedules (type and arguments), also during replay, so the test can compare
 * them with what the history recorded. Replay checks that the same commands
 * come in the same order; it does not check their arguments, and a changed
 * argument (an id drawn from a different random number) would send an old
 * order's next activity to the wrong record.
 */
export interface ReplaySinks extends Sinks {
  replayCheck: { activity(activityType: string, args: unknown[]): void };
}

const { replayCheck } = proxySinks<ReplaySinks>();

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      async scheduleActivity(input, next) {
        replayCheck.activity(input.activityType, input.args);
        return next(input);
      },
    },
  ],
});
