// Daemon-wide facts the /version and /info endpoints report.

export interface SystemInfo {
  id: string;
  name: string;                 // hostname
  containers: number;
  containersRunning: number;
  containersPaused: number;
  containersStopped: number;
  images: number;
  driver: string;
  /** The storage driver's [name, value] lines (docker info's DriverStatus). */
  driverStatus?: Array<[string, string]>;
  dataRoot: string;
  execRoot: string;
  cgroupDriver: string;
  cgroupVersion: '1' | '2';
  kernelVersion: string;
  operatingSystem: string;
  osType: string;
  architecture: string;
  ncpu: number;
  memTotal: number;
  defaultRuntime: string;
  runtimes: string[];
  /** Path and global options (runtimeArgs) of each runtime, when known. */
  runtimeInfo?: Record<string, { path: string; args: string[] }>;
  serverVersion: string;
  loggingDriver: string;
  securityOptions: string[];
  warnings: string[];
}

export interface VersionInfo {
  version: string;
  apiVersion: string;
  minApiVersion: string;
  gitCommit: string;
  goVersion: string;  // we report the Node version here
  os: string;
  arch: string;
  kernelVersion: string;
  buildTime: string;
}

export interface SystemService {
  version(): VersionInfo;
  info(): Promise<SystemInfo>;
}

export const API_VERSION = '1.56';
export const MIN_API_VERSION = '1.24';
