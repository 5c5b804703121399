export interface BenchServer {
  port: number;
  /** open WebSocket connections */
  connections(): number;
  stop(): Promise<void>;
}
