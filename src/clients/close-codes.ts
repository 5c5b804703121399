/**
 * Every close code a graphql-ws client can see (docs/operations.md "Close codes"; a test holds
 * those tables against this list): those graphql-ws and ws send by themselves and this server's
 * own. Code that closes a client's socket takes its code from here.
 */
export const CloseCode = {
  Normal: 1000,
  /** server shutting down */
  GoingAway: 1001,
  /** a frame that breaks the WebSocket protocol (ws closes with it) */
  ProtocolError: 1002,
  /** a text frame that is not UTF-8 (ws closes with it) */
  InvalidPayload: 1007,
  /** a message over WS_MAX_PAYLOAD_BYTES (ws closes with it) */
  MessageTooBig: 1009,
  /** slow consumer: evicted for not reading */
  SlowConsumer: 4008,
  /** a message that is not graphql-transport-ws */
  BadRequest: 4400,
  /** missing or unknown API key, or a subscribe before connection_ack */
  Unauthorized: 4401,
  /** wrong subprotocol: use graphql-transport-ws */
  SubprotocolNotAcceptable: 4406,
  /** no connection_init in time */
  ConnectionInitTimeout: 4408,
  /** a subscription id already in use */
  SubscriberAlreadyExists: 4409,
  /** a second connection_init */
  TooManyInitialisationRequests: 4429,
  /** the server failed handling a message: a bug, logged as `graphql-ws message handling failed` */
  InternalServerError: 4500,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
