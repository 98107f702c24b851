/** Alarm thresholds of the dashboards, from the config file's `monitoring:` section (project-wide). */
export interface MonitoringThresholds {
  /** Redshift CPUUtilization (maximum over 5 minutes) that raises an alarm, in percent. */
  readonly warehouseCpuPercent: number;
  /** Redshift PercentageDiskSpaceUsed that raises an alarm, in percent. */
  readonly warehouseDiskPercent: number;
  /** A pipeline run's duration (p90 of ExecutionTime over 5 minutes) that raises an alarm, in minutes. */
  readonly runDurationMinutes: number;
}

export const MONITORING_DEFAULTS: MonitoringThresholds = {
  warehouseCpuPercent: 90,
  warehouseDiskPercent: 80,
  runDurationMinutes: 120,
};
