// The shapes the lab API hands out (and that lab.json stores).

export interface LabNode {
  name: string;
  address: string;
  netns: string;
  /** PID of the node's sshd (PID 1 of the node's pid namespace) as seen from the root namespace; 0 when stopped. */
  pid: number;
}

export interface LabInfo {
  name: string;
  stateDir: string;
  switchNetns: string;
  clusterFile: string;
  identityFile: string;
  knownHostsFile: string;
  proxyCommand: string;
  nodes: LabNode[];
  /** The router of `podnet lab up --router` (192.168.1.254), reached like a node; absent without one. */
  router?: LabNode;
  /** cluster-gateway.yaml (routing mode gateway), written when the lab has a router. */
  gatewayClusterFile?: string;
}

/** What lab.json holds. */
export interface LabState extends LabInfo {
  /** ISO 8601 time the lab was created. */
  created: string;
}

export interface LabNodeStatus extends LabNode {
  /** sshd alive and listening on the node's address. */
  up: boolean;
  netnsExists: boolean;
}

export interface LabStatus {
  name: string;
  stateDir: string;
  /** False when namespaces exist without lab.json (left over by a crash: `podnet lab down` cleans it). */
  hasState: boolean;
  created?: string;
  switchNetnsExists: boolean;
  nodes: LabNodeStatus[];
  /** The router, when lab.json records one. */
  router?: LabNodeStatus;
}

export interface LabExecResult {
  code: number;
  stdout: string;
  stderr: string;
}
