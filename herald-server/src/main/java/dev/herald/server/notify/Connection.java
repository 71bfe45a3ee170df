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
 * One notification socket. Incoming text messages are commands; outgoing frames go through a
 * bounded outbox (messages and bytes) drained by one writer that hands Jetty many frames per
 * flush. Nothing is sent that the client did not ask for: no pings, no binary frames.
 *
 * <p>Threads: commands run on Jetty's reading thread (a replay gets a virtual thread of its
 * own); live frames are enqueued by the feed thread; the writer runs wherever Jetty completes a
 * flush. The outbox is guarded by {@link #lock}.
 */
final class Connection implements FrameHandler {
  private static final Logger LOG = LoggerFactory.getLogger(Connection.class);
  private static final int BATCH = 256;

  private final Notifications hub;
  final Session session;
  private final String base;
  private final boolean legacy;
  /** A status socket ({@code /{v}/status/socket}): status subscriptions, status frames. */
  final boolean statusSocket;
  private final int maxMessageBytes;
  private final int maxChannels;
  private final int outboxMessages;
  private final long outboxBytes;
  private final Map<Long, Channel> channels = new ConcurrentHashMap<>();
  private long nextId; // guarded by reading thread (commands are handled one at a time)

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition room = lock.newCondition();
  private final ArrayDeque<Out> outbox = new ArrayDeque<>(); // guarded by lock
  private long queuedBytes; // guarded by lock
  /** True from the enqueue that starts the writer until it finds the outbox empty; guarded by lock. */
  private boolean writerActive;
  private boolean closing; // guarded by lock
  private volatile long writtenSeq;
  private final Writer writer = new Writer();

  private CoreSession core;
  private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
  private boolean partialTooBig;
  private byte partialOpCode;

  /** Whether this connection is in the connections gauge; guarded by this. */
  boolean counted;

  /** The pong being written, if any: a client's next frame is read only once it is out. */
  private volatile Object pongInFlight;

  /** Set by the feed thread while this connection waits for its end-of-batch kick. */
  boolean kickPending;

  /** Heartbeat period in ms (0 = none) and next due time; owned by the feed thread after set. */
  volatile long heartbeatMs;
  long heartbeatDueMs;

  private record Out(byte[] bytes, long seq) {}

  Connection(Notifications hub, Session session, String base, boolean legacy, int maxMessageBytes,
      int maxChannels, int outboxMessages, long outboxBytes, boolean statusSocket) {
    this.statusSocket = statusSocket;
    this.hub = hub;
    this.session = session;
    this.base = base.intern(); // connections share base strings: frame caching compares by identity
    this.legacy = legacy;
    this.maxMessageBytes = maxMessageBytes;
    this.maxChannels = maxChannels;
    this.outboxMessages = outboxMessages;
    this.outboxBytes = outboxBytes;
  }

  String base() {
    return base;
  }

  int outboxLimit() {
    return outboxMessages;
  }

  Set<Long> visibleDomains() {
    return hub.visibleDomains(session);
  }

  // ---- FrameHandler ----

  @Override
  public void onOpen(CoreSession coreSession, Callback callback) {
    this.core = coreSession;
    hub.opened(this);
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
    hub.schedule(() -> {
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
    stopQueueing();
    for (Channel ch : channels.values()) {
      ch.close();
      hub.unregister(ch);
      hub.releaseSubscription(session);
    }
    channels.clear();
    hub.closed(this);
    callback.succeeded();
  }

  // ---- commands ----

  private void handle(String text) {
    hub.commandReceived(session, text);
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

  private void subscribe(Command.Subscribe s) {
    if (channels.size() >= maxChannels) {
      control(Frames.failure("Too many subscriptions on this connection: the limit is "
          + maxChannels + "."));
      return;
    }
    if (!hub.takeSubscription(session)) {
      control(Frames.failure("Too many subscriptions for this session: the limit is "
          + hub.maxSubscriptionsPerSession() + " on all its sockets together."));
      return;
    }
    boolean registered = false;
    try {
      registered = subscribeWithin(s);
    } finally {
      if (!registered) {
        hub.releaseSubscription(session);
      }
    }
  }

  /** @return whether a channel was opened (it then holds the session's subscription) */
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
    // A channel gets exactly the changes committed after it was opened (seq > head now), or
    // with since, every change after that position.
    long head;
    try {
      head = hub.changeLog().freshHead();
    } catch (HeraldException e) {
      control(Frames.failure("Cannot subscribe now: " + e.getMessage()));
      return false;
    }
    if (s.since().isPresent()) {
      long since = s.since().get();
      long oldest;
      try {
        // held in memory: no need to ask the database what it still retains
        oldest = hub.inMemory(since) ? since + 1 : hub.changeLog().oldestRetained();
      } catch (HeraldException e) {
        control(Frames.failure("Cannot resume now: " + e.getMessage()));
        return false;
      }
      if (since < oldest - 1) {
        control(Frames.historyExpired(s.context(), since, oldest, head));
        return false;
      }
      if (since > head) {
        control(Frames.sinceBeyondHead(since, head));
        return false;
      }
    }
    s.heartbeatSeconds().ifPresent(h -> hub.heartbeat(this, h * 1000L));
    long id = nextId++;
    Channel ch = new Channel(id, this, s, Set.copyOf(types),
        new FrameStyle(id, legacy, s.withSeq()), s.since().isPresent(), s.since().orElse(head));
    channels.put(id, ch);
    long position = hub.register(ch, at -> s.withSeq()
        ? Frames.subscribed(s.context(), id, s.since().orElse(at))
        : Frames.subscribed(s.context(), id));
    if (s.since().isPresent()) {
      Thread.ofVirtual().name("herald-replay-" + id).start(() -> hub.replay(ch, s.since().get(), position));
    }
    return true;
  }

  // ---- the status socket ----


  /**
   * {@code {"context": "fw_single"}} (engine types and families, {@code *}), {@code {"element":
   * href}} (an engine or one of its nodes), {@code {"unsubscribe": id}}; anything else is
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
    Set<String> engineTypes = dev.herald.server.element.Engines.types().keySet();
    Set<String> types = new LinkedHashSet<>();
    Set<Long> keys = Set.of();
    String node = null;
    String statusOf = "engine";
    String described;
    if (cmd.path("element").isTextual() && !cmd.has("context")) {
      String href = cmd.get("element").asText();
      Optional<dev.herald.server.element.Engines.NodeHref> h = dev.herald.server.element.Engines.parseHref(href);
      if (h.isEmpty()) {
        control(Frames.failure("Not a monitored element: " + href + " (engines and their nodes are)."));
        return;
      }
      String type = h.get().engineType();
      long key = h.get().engineKey();
      Optional<dev.herald.server.store.ElementRecord> engine = hub.visibleElement(session, type, key);
      if (engine.isEmpty()) {
        control(Frames.failure("No element " + href + "."));
        return;
      }
      if (h.get().nodeType() != null) {
        node = h.get().nodeType() + "/" + h.get().nodeKey();
        if (!hub.hasNode(engine.get(), h.get().nodeType(), h.get().nodeKey())) {
          control(Frames.failure("No element " + href + "."));
          return;
        }
        statusOf = "node";
      }
      types.add(type);
      keys = Set.of(key);
      described = href;
    } else if (cmd.path("context").isTextual() && !cmd.has("element")) {
      described = cmd.get("context").asText();
      for (String item : described.split(",")) {
        String it = item.strip(); // fw_single, the guide's context, is a catalogue family
        if (it.equals("*")) {
          types.addAll(engineTypes);
          continue;
        }
        Optional<Set<String>> family = Catalogue.context(it);
        Set<String> monitored = new LinkedHashSet<>();
        family.ifPresent(f -> f.stream().filter(engineTypes::contains).forEach(monitored::add));
        if (monitored.isEmpty()) {
          control(Frames.failure("No monitored elements in context \"" + it + "\": engine types and families"
              + " (fw_single, single_fw, fw_cluster, engine_clusters, *) are."));
          return;
        }
        types.addAll(monitored);
      }
    } else {
      control(Frames.failure("Send {\"context\":\"fw_single\"} or {\"element\":\"<href>\"} to subscribe for status."));
      return;
    }
    if (channels.size() >= maxChannels) {
      control(Frames.failure("Too many subscriptions on this connection: the limit is " + maxChannels + "."));
      return;
    }
    if (!hub.takeSubscription(session)) {
      control(Frames.failure("Too many subscriptions for this session: the limit is "
          + hub.maxSubscriptionsPerSession() + " on all its sockets together."));
      return;
    }
    long id = nextId++;
    Command.Subscribe as = new Command.Subscribe(described, List.of(described), Optional.empty(), Set.of(),
        Set.of(), keys, Optional.empty(), Optional.empty(), false);
    Channel ch = new Channel(id, this, as, Set.copyOf(types), new FrameStyle(id, false, false, statusOf), false,
        hub.position(), true, node);
    channels.put(id, ch);
    hub.register(ch, at -> dev.herald.protocol.Json.write(dev.herald.protocol.Json.object()
        .put("success", "Subscribed for status").put("subscription_id", id)));
  }

  private void handleUnsubscribe(Command.Unsubscribe u) {
    Channel ch = channels.remove(u.id());
    if (ch == null) {
      control(Frames.failure("No subscription with id " + u.id() + ".", u.id()));
    } else {
      ch.close();
      hub.unregister(ch);
      hub.releaseSubscription(session);
      control(Frames.unsubscribed(u.id()));
    }
  }

  // ---- outbox ----

  /** Enqueues a non-event frame (ack, failure, progress, heartbeat). */
  void control(String text) {
    enqueue(text.getBytes(StandardCharsets.UTF_8), -1, true);
  }

  /**
   * Enqueues one frame; a full outbox makes this a slow consumer (never blocks).
   *
   * @param kick whether to start an idle writer now (false: the caller calls {@link #kick()}
   *     later when this returns true)
   * @return whether the writer was idle and must be started: a running writer drains what is
   *     queued before it goes idle, so waking it again would only contend for its lock
   */
  boolean enqueue(byte[] bytes, long seq, boolean kick) {
    boolean start = false;
    lock.lock();
    try {
      if (closing) {
        return false;
      }
      if (outbox.size() < outboxMessages && queuedBytes + bytes.length <= outboxBytes) {
        outbox.add(new Out(bytes, seq));
        queuedBytes += bytes.length;
        bytes = null;
        if (!writerActive) {
          writerActive = true;
          start = true;
        }
      }
    } finally {
      lock.unlock();
    }
    if (bytes != null) {
      slowConsumer();
      return false;
    }
    if (start && kick) {
      writer.iterate();
      return false;
    }
    return start;
  }

  /** Starts the writer if it is idle (it drains everything queued so far). */
  void kick() {
    writer.iterate();
  }

  /** Blocks (a replay thread) until the outbox is at most half full, or the connection closed. */
  boolean awaitRoom() throws InterruptedException {
    lock.lock();
    try {
      while (!closing && (outbox.size() > outboxMessages / 2 || queuedBytes > outboxBytes / 2)) {
        room.await(1, TimeUnit.SECONDS);
      }
      return !closing;
    } finally {
      lock.unlock();
    }
  }

  /** Closes this connection by the slow-consumer policy (at most once). */
  void slowConsumer() {
    lock.lock();
    try {
      if (closing) {
        return;
      }
      closing = true;
    } finally {
      lock.unlock();
    }
    hub.countSlowConsumer();
    close(CloseCode.SLOW_CONSUMER.code(), CloseCode.slowConsumerReason(writtenSeq));
  }

  /** No more frames are queued; what was queued and not yet handed to Jetty is dropped. */
  private void stopQueueing() {
    lock.lock();
    try {
      closing = true;
      outbox.clear();
      queuedBytes = 0;
      room.signalAll(); // a waiting replay gives up
    } finally {
      lock.unlock();
    }
  }

  /** Closes with a close frame; drops what was not yet handed to Jetty. */
  void close(int code, String reason) {
    stopQueueing();
    for (Channel ch : channels.values()) {
      ch.close();
    }
    CoreSession c = core;
    if (c != null) {
      c.close(code, reason, Callback.NOOP);
      // A reader that stopped reading cannot receive the close frame either: abort after a while.
      hub.scheduleAbort(c);
    }
  }

  /** Drains the outbox: many frames per flush, one flush in flight at a time. */
  private final class Writer extends IteratingCallback {
    private long batchSeq;

    @Override
    protected Action process() {
      Out[] batch = new Out[BATCH];
      int n = 0;
      lock.lock();
      try {
        if (closing) {
          return Action.IDLE;
        }
        while (n < BATCH && !outbox.isEmpty()) {
          Out o = outbox.poll();
          queuedBytes -= o.bytes().length;
          batch[n++] = o;
        }
        room.signalAll();
        if (n == 0) {
          writerActive = false; // the next enqueue starts it again
          return Action.IDLE;
        }
      } finally {
        lock.unlock();
      }
      long max = -1;
      for (int i = 0; i < n; i++) {
        max = Math.max(max, batch[i].seq());
      }
      batchSeq = max;
      if (n == 1) {
        // light load: one frame, written at once without the batch buffer copy
        core.sendFrame(new Frame(OpCode.TEXT, true, ByteBuffer.wrap(batch[0].bytes())), this, false);
        return Action.SCHEDULED;
      }
      for (int i = 0; i < n; i++) {
        core.sendFrame(new Frame(OpCode.TEXT, true, ByteBuffer.wrap(batch[i].bytes())), Callback.NOOP, true);
      }
      core.flush(this);
      return Action.SCHEDULED;
    }

    @Override
    protected void onSuccess() {
      if (batchSeq > writtenSeq) {
        writtenSeq = batchSeq;
      }
    }

    @Override
    protected void onCompleteFailure(Throwable cause) {
      if (isClosing()) {
        LOG.debug("notification socket write ended by close: {}", cause.toString());
      } else {
        LOG.debug("notification socket write failed (client gone?): {}", cause.toString());
      }
      stopQueueing();
      CoreSession c = core;
      if (c != null) {
        c.abort();
      }
    }
  }

  boolean isClosing() {
    lock.lock();
    try {
      return closing;
    } finally {
      lock.unlock();
    }
  }

  List<Channel> channels() {
    return List.copyOf(channels.values());
  }
}
