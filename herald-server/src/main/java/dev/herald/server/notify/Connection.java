package dev.herald.server.notify;

import dev.herald.protocol.CloseCode;
import dev.herald.protocol.Command;
import dev.herald.protocol.Frames;
import dev.herald.server.HeraldException;
import dev.herald.server.element.Catalogue;
import dev.herald.server.session.Session;
import dev.herald.server.store.Change;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IteratingCallback;
import org.eclipse.jetty.websocket.core.CloseStatus;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.OpCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One socket, of either kind: the notification socket or the status socket. Incoming text
 * messages are commands (subscribe, unsubscribe); outgoing frames go through its {@link Outbox}.
 * Nothing is sent that the client did not ask for: no pings, no binary frames.
 *
 * <p>Threads: commands run on Jetty's reading thread, one at a time (a replay gets a virtual
 * thread of its own); live frames are enqueued by the feed thread.
 */
final class Connection implements FrameHandler {
  private static final Logger LOG = LoggerFactory.getLogger(Connection.class);

  private final SocketRegistry registry;
  private final Notifier notifier;
  private final Visibility visibility;
  final Session session;
  private final String base;
  private final boolean legacy;
  /** A status socket ({@code /{v}/status/socket}): status subscriptions, status frames. */
  final boolean statusSocket;
  private final int maxMessageBytes;
  private final int maxSubscriptions;
  private final Map<Long, Subscription> subscriptions = new ConcurrentHashMap<>();
  private long nextId; // reading thread only (commands are handled one at a time)
  private final Outbox outbox;

  private CoreSession core;
  private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
  private boolean partialTooBig;
  private byte partialOpCode;

  /** Whether this connection is in the connections gauge; guarded by this. */
  boolean counted;

  /** The pong being written, if any: a client's next frame is read only once it is out. */
  private volatile Object pongInFlight;

  /**
   * Set by a publisher (under the publish lock) while this connection waits for the kick at the
   * end of its batch; cleared by that publisher just before it kicks. Volatile: the feed thread
   * and a committing thread both publish.
   */
  volatile boolean kickPending;

  /** Heartbeat period in ms (0 = none) and next due time; owned by the feed thread after set. */
  volatile long heartbeatMs;
  long heartbeatDueMs;

  Connection(SocketRegistry registry, Notifier notifier, Visibility visibility, Session session,
      String base, boolean legacy, int maxMessageBytes, int maxSubscriptions, int outboxMessages,
      long outboxBytes, boolean statusSocket) {
    this(registry, notifier, visibility, session, base, legacy, maxMessageBytes, maxSubscriptions,
        outboxMessages, outboxBytes, statusSocket, null);
  }

  /** @param sink where frames go; null: this connection's WebSocket (a unit test gives its own) */
  Connection(SocketRegistry registry, Notifier notifier, Visibility visibility, Session session,
      String base, boolean legacy, int maxMessageBytes, int maxSubscriptions, int outboxMessages,
      long outboxBytes, boolean statusSocket, Outbox.Sink sink) {
    this.registry = registry;
    this.notifier = notifier;
    this.visibility = visibility;
    this.statusSocket = statusSocket;
    this.session = session;
    this.base = base.intern(); // connections share base strings: frame caching compares by identity
    this.legacy = legacy;
    this.maxMessageBytes = maxMessageBytes;
    this.maxSubscriptions = maxSubscriptions;
    this.outbox = new Outbox(outboxMessages, outboxBytes, sink != null ? sink : new SocketSink(),
        this::slowConsumer, registry == null ? n -> { } : registry::countFrames);
  }

  String base() {
    return base;
  }

  int outboxLimit() {
    return outbox.maxMessages();
  }

  // ---- FrameHandler ----

  @Override
  public void onOpen(CoreSession coreSession, Callback callback) {
    this.core = coreSession;
    registry.opened(this);
    callback.succeeded();
    coreSession.demand();
  }

  @Override
  public void onFrame(Frame frame, Callback callback) {
    try {
      switch (frame.getOpCode()) {
        case OpCode.TEXT, OpCode.BINARY -> {
          partial.reset();
          partialTooBig = false;
          partialOpCode = frame.getOpCode();
          append(frame);
        }
        case OpCode.CONTINUATION -> append(frame);
        case OpCode.PING -> {
          // Answer the client's pings; the server never pings (smc-python stops on a ping).
          // The next frame is read only once the pong is out: a client that pings without
          // reading stops being read (TCP pushes back on it) instead of piling up pongs here,
          // and one whose pong cannot go out for long is a slow consumer.
          callback.succeeded();
          pong(frame);
          return;
        }
        default -> { }
      }
      callback.succeeded();
    } catch (RuntimeException e) {
      callback.failed(e);
      return;
    }
    core.demand();
  }

  private static final long PONG_PATIENCE_MS = 30_000;

  private void pong(Frame ping) {
    ByteBuffer payload = ByteBuffer.allocate(ping.getPayloadLength());
    if (ping.hasPayload()) {
      payload.put(ping.getPayload().slice()).flip();
    }
    Object token = new Object();
    pongInFlight = token;
    registry.schedule(() -> {
      if (pongInFlight == token) {
        slowConsumer();
      }
    }, PONG_PATIENCE_MS);
    core.sendFrame(new Frame(OpCode.PONG, true, payload), Callback.from(() -> {
      pongInFlight = null;
      core.demand();
    }, x -> pongInFlight = null), false);
  }

  private void append(Frame frame) {
    if (!partialTooBig) {
      if (partial.size() + frame.getPayloadLength() > maxMessageBytes) {
        partialTooBig = true;
        partial.reset();
      } else if (frame.hasPayload()) {
        ByteBuffer p = frame.getPayload().slice();
        byte[] b = new byte[p.remaining()];
        p.get(b);
        partial.writeBytes(b);
      }
    }
    if (!frame.isFin()) {
      return;
    }
    if (partialTooBig) {
      control(Frames.failure("Message too large: the limit is " + maxMessageBytes + " bytes."));
    } else if (partialOpCode == OpCode.BINARY) {
      control(Frames.failure("Binary messages are not supported: send JSON text messages."));
    } else {
      String text;
      try {
        text = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
            .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(partial.toByteArray())).toString();
      } catch (java.nio.charset.CharacterCodingException e) {
        partial.reset();
        close(1007, "invalid UTF-8 in a text message"); // RFC 6455 §8.1
        return;
      }
      handle(text);
    }
    partial.reset();
  }

  @Override
  public void onError(Throwable cause, Callback callback) {
    LOG.debug("notification socket error (client gone?): {}", cause.toString());
    callback.succeeded();
  }

  @Override
  public void onClosed(CloseStatus closeStatus, Callback callback) {
    outbox.stop();
    for (Subscription sub : subscriptions.values()) {
      sub.close();
      notifier.unregister(sub);
      registry.releaseSubscription(session);
    }
    subscriptions.clear();
    registry.closed(this);
    callback.succeeded();
  }

  // ---- commands ----

  private void handle(String text) {
    registry.commandReceived(session, text);
    if (statusSocket) {
      handleStatus(text);
      return;
    }
    switch (Command.parse(text)) {
      case Command.Invalid inv -> control(Frames.failure(inv.reason()));
      case Command.Unsubscribe u -> handleUnsubscribe(u);
      case Command.Subscribe s -> subscribe(s);
    }
  }

  /**
   * Takes a subscription from this connection's and the session's allowance; answers a failure
   * and returns false when either is used up.
   */
  private boolean takeSubscription() {
    if (subscriptions.size() >= maxSubscriptions) {
      control(Frames.failure("Too many subscriptions on this connection: the limit is "
          + maxSubscriptions + "."));
      return false;
    }
    if (!registry.takeSubscription(session)) {
      control(Frames.failure("Too many subscriptions for this session: the limit is "
          + registry.config().maxSubscriptionsPerSession() + " on all its sockets together."));
      return false;
    }
    return true;
  }

  private void subscribe(Command.Subscribe s) {
    if (!takeSubscription()) {
      return;
    }
    boolean registered = false;
    try {
      registered = subscribeWithin(s);
    } finally {
      if (!registered) {
        registry.releaseSubscription(session);
      }
    }
  }

  /** @return whether a subscription was opened (it then holds the session's allowance) */
  private boolean subscribeWithin(Command.Subscribe s) {
    Set<String> types = new LinkedHashSet<>();
    for (String item : s.contexts()) {
      Optional<Set<String>> family = Catalogue.context(item);
      if (family.isEmpty()) {
        control(Frames.failure("Unknown element type " + item
            + " in context \"" + s.context() + "\"; GET /{version}/api lists the types."));
        return false;
      }
      types.addAll(family.get());
    }
    long head;
    switch (notifier.start(s)) {
      case Notifier.Start.Refused r -> {
        control(r.frame());
        return false;
      }
      case Notifier.Start.At at -> head = at.head();
    }
    s.heartbeatSeconds().ifPresent(h -> registry.heartbeat(this, h * 1000L));
    long id = nextId++;
    Subscription sub = new Subscription(id, this, s, Set.copyOf(types),
        new FrameStyle(id, legacy, s.withSeq()), s.since().isPresent(), s.since().orElse(head));
    subscriptions.put(id, sub);
    long position = notifier.register(sub, at -> s.withSeq()
        ? Frames.subscribed(s.context(), id, s.since().orElse(at))
        : Frames.subscribed(s.context(), id));
    if (s.since().isPresent()) {
      Thread.ofVirtual().name("herald-replay-" + id).start(() -> notifier.replay(sub, s.since().get(), position));
    }
    return true;
  }

  // ---- the status socket ----


  /**
   * {@code {"context": "fw_single"}} (engine and VPN types and families, {@code *}), {@code {"element":
   * href}} (an engine or one of its nodes, a VPN or one of its tunnels), {@code {"unsubscribe": id}}; anything else is
   * answered with a failure and the socket stays open.
   */
  private void handleStatus(String text) {
    Optional<com.fasterxml.jackson.databind.node.ObjectNode> o = dev.herald.protocol.Json.parseObject(text);
    if (o.isEmpty()) {
      control(Frames.failure("Not a JSON object: send {\"context\":\"fw_single\"}, {\"element\":\"<href>\"} or {\"unsubscribe\":ID}."));
      return;
    }
    com.fasterxml.jackson.databind.node.ObjectNode cmd = o.get();
    if (cmd.has("unsubscribe")) {
      switch (Command.parse(text)) {
        case Command.Unsubscribe u -> handleUnsubscribe(u);
        case Command.Invalid inv -> control(Frames.failure(inv.reason()));
        default -> control(Frames.failure("unsubscribe takes a subscription id."));
      }
      return;
    }
    Set<String> monitoredTypes = visibility.monitoredTypes();
    Set<String> types = new LinkedHashSet<>();
    Set<Long> keys = Set.of();
    String part = null;
    String statusOf = "element";
    String described;
    if (cmd.path("element").isTextual() && !cmd.has("context")) {
      String href = cmd.get("element").asText();
      Optional<Notifications.StatusTargets.Target> t = visibility.monitored(session, href);
      if (t.isEmpty()) {
        control(Frames.failure("Not a monitored element: " + href
            + " (engines and their nodes, VPNs and their tunnels, the Management and Log Servers are, when you may see them)."));
        return;
      }
      if (t.get().part() != null) {
        part = t.get().part();
        statusOf = t.get().within() == null ? "part" : "part:" + t.get().within();
      }
      types.add(t.get().type());
      keys = Set.of(t.get().key());
      described = href;
    } else if (cmd.path("context").isTextual() && !cmd.has("element")) {
      described = cmd.get("context").asText();
      for (String item : described.split(",")) {
        String it = item.strip(); // fw_single, the guide's context, is a catalogue family
        if (it.equals("*")) {
          types.addAll(monitoredTypes);
          continue;
        }
        Optional<Set<String>> family = Catalogue.context(it);
        Set<String> monitored = new LinkedHashSet<>();
        family.ifPresent(f -> f.stream().filter(monitoredTypes::contains).forEach(monitored::add));
        if (monitored.isEmpty()) {
          control(Frames.failure("No monitored elements in context \"" + it + "\": engine, VPN and server types and families"
              + " (fw_single, single_fw, fw_cluster, engine_clusters, vpn, mgt_server, log_server, *) are."));
          return;
        }
        types.addAll(monitored);
      }
    } else {
      control(Frames.failure("Send {\"context\":\"fw_single\"} or {\"element\":\"<href>\"} to subscribe for status."));
      return;
    }
    if (!takeSubscription()) {
      return;
    }
    long id = nextId++;
    Command.Subscribe as = new Command.Subscribe(described, List.of(described), Optional.empty(), Set.of(),
        Set.of(), keys, Optional.empty(), Optional.empty(), false);
    Subscription sub = new Subscription(id, this, as, Set.copyOf(types), new FrameStyle(id, false, false, statusOf), false,
        notifier.position(), true, part);
    subscriptions.put(id, sub);
    notifier.register(sub, at -> dev.herald.protocol.Json.write(dev.herald.protocol.Json.object()
        .put("success", "Subscribed for status").put("subscription_id", id)));
  }

  private void handleUnsubscribe(Command.Unsubscribe u) {
    Subscription sub = subscriptions.remove(u.id());
    if (sub == null) {
      control(Frames.failure("No subscription with id " + u.id() + ".", u.id()));
    } else {
      sub.close();
      notifier.unregister(sub);
      registry.releaseSubscription(session);
      control(Frames.unsubscribed(u.id()));
    }
  }

  // ---- frames out ----

  /** Enqueues a non-event frame (ack, failure, progress, heartbeat). */
  void control(String text) {
    outbox.enqueue(text.getBytes(StandardCharsets.UTF_8), -1, true);
  }

  /** {@link Outbox#enqueue}: a full outbox makes this a slow consumer (never blocks). */
  boolean enqueue(byte[] bytes, long seq, boolean kick) {
    return outbox.enqueue(bytes, seq, kick);
  }

  /** Starts the writer if it is idle (it drains everything queued so far). */
  void kick() {
    outbox.kick();
  }

  /** Blocks (a replay thread) until the outbox is at most half full, or the connection closed. */
  boolean awaitRoom() throws InterruptedException {
    return outbox.awaitRoom();
  }

  boolean isClosing() {
    return outbox.isClosing();
  }

  /** Closes this connection by the slow-consumer policy (at most once). */
  void slowConsumer() {
    if (!outbox.markClosing()) {
      return;
    }
    registry.countSlowConsumer();
    close(CloseCode.SLOW_CONSUMER.code(), CloseCode.slowConsumerReason(outbox.writtenSeq()));
  }

  /** Closes with a close frame; drops what was not yet handed to Jetty. */
  void close(int code, String reason) {
    outbox.stop();
    for (Subscription sub : subscriptions.values()) {
      sub.close();
    }
    CoreSession c = core;
    if (c != null) {
      c.close(code, reason, Callback.NOOP);
      // A reader that stopped reading cannot receive the close frame either: abort after a while.
      registry.scheduleAbort(c);
    }
  }

  /** The outbox's frames go to Jetty's WebSocket session. */
  private final class SocketSink implements Outbox.Sink {
    @Override
    public void write(byte[] text, Callback done) {
      core.sendFrame(new Frame(OpCode.TEXT, true, ByteBuffer.wrap(text)), done, false);
    }

    @Override
    public void writeBatched(byte[] text) {
      core.sendFrame(new Frame(OpCode.TEXT, true, ByteBuffer.wrap(text)), Callback.NOOP, true);
    }

    @Override
    public void flush(Callback done) {
      core.flush(done);
    }

    @Override
    public void abort(Throwable cause) {
      LOG.debug("socket write failed (client gone, or closing): {}", cause.toString());
      CoreSession c = core;
      if (c != null) {
        c.abort();
      }
    }
  }

  List<Subscription> subscriptions() {
    return List.copyOf(subscriptions.values());
  }
}
