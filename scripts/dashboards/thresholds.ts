/**
 * The alert thresholds the dashboards draw. They are the numbers of the rules in
 * dashboards/alerts/*.yaml; test/dashboards/structure.test.ts fails when the two disagree.
 */
export const THRESHOLDS = {
  /** KeystoneAuthFailureRatioHigh: share of logins failing over 5 minutes. */
  authFailureRatio: 0.2,
  /** KeystoneAuthFailureRateHigh: failed logins per second over 5 minutes. */
  authFailureRate: 0.2,
  /** CadfExporterExportFailing: share of export requests failing. */
  exportFailureRatio: 0.1,
  /** CadfExporterLagHigh: p90 of the event lag, seconds. */
  lagP90Seconds: 300,
  /** CadfExporterNoEvents: seconds since the last export. */
  noEventsSeconds: 3600,
} as const;
