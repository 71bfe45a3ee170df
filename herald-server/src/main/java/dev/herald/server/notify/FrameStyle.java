package dev.herald.server.notify;

/**
 * What decides a frame's bytes besides the change and the href base.
 *
 * @param statusOf on the status socket, whose status the frame carries: {@code element} (an
 *     engine, a VPN), {@code part} (a node, a tunnel: the one the change names) or
 *     {@code part:SUB} (something within that part: {@code part:gateway_endpoint_tunnel/ID}, an
 *     endpoint tunnel of the tunnel); null for an element event
 */
record FrameStyle(long subscriptionId, boolean legacy, boolean withSeq, String statusOf) {
  FrameStyle(long subscriptionId, boolean legacy, boolean withSeq) {
    this(subscriptionId, legacy, withSeq, null);
  }
}
