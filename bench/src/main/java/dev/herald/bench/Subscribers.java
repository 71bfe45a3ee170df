package dev.herald.bench;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CloseStatus;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.OpCode;
import org.eclipse.jetty.websocket.core.client.CoreClientUpgradeRequest;
import org.eclipse.jetty.websocket.core.client.WebSocketCoreClient;

/**
 * Many notification sockets in one process (Jetty's WebSocket client), each subscribed once.
 * Every event received is recorded as (element key, receive time) for later matching.
 */
final class Subscribers implements AutoCloseable {
  private final WebSocketCoreClient client;
  private final HttpClient http;
  private final List<Sub> subs = new ArrayList<>();
  final java.util.concurrent.atomic.LongAdder delivered = new java.util.concurrent.atomic.LongAdder();
  final AtomicLong acks = new AtomicLong();
  final AtomicLong closedEarly = new AtomicLong();
  private final AtomicLong errorsReported = new AtomicLong();
  private volatile boolean closing;

  /** When true, each event is recorded by its seq (the "seq" extension) instead of its key. */
  private final boolean bySeq;
  /** On the status socket: status frames are the events, recorded by the number in the name. */
  private final boolean status;

  Subscribers() throws Exception {
    this(false);
  }

  Subscribers(boolean bySeq) throws Exception {
    this(bySeq, false);
  }

  /** @param status subscribers of the status socket ({@code /7.2/status/socket}) */
  Subscribers(boolean bySeq, boolean status) throws Exception {
    this.bySeq = bySeq;
    this.status = status;
    http = new HttpClient();
    http.setMaxConnectionsPerDestination(1_000_000);
    http.setConnectTimeout(30_000);
    client = new WebSocketCoreClient(http, null);
    client.start();
  }

  /** Opens {@code n} sockets (at most {@code parallel} handshakes at a time), each subscribing. */
  void open(String url, String cookie, int n, String subscribe, boolean record) throws Exception {
    URI uri = URI.create(url.replace("http://", "ws://") + (status ? "/7.2/status/socket" : "/7.2/notification/socket"));
    java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(200);
    List<CompletableFuture<CoreSession>> pending = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Sub s = new Sub(subscribe, record);
      subs.add(s);
      CoreClientUpgradeRequest req = CoreClientUpgradeRequest.from(client, uri, s);
      org.eclipse.jetty.websocket.core.Configuration.ConfigurationCustomizer cfg =
          new org.eclipse.jetty.websocket.core.Configuration.ConfigurationCustomizer();
      cfg.setInputBufferSize(32 * 1024); // read many small frames per syscall
      cfg.setIdleTimeout(java.time.Duration.ZERO);
      req.setConfiguration(cfg);
      if (cookie != null) {
        req.headers(h -> h.put("Cookie", cookie));
      }
      inFlight.acquire();
      CompletableFuture<CoreSession> f = client.connect(req);
      f.whenComplete((ok, err) -> inFlight.release());
      pending.add(f);
    }
    for (CompletableFuture<CoreSession> f : pending) {
      f.get(120, TimeUnit.SECONDS);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    // every socket opened so far (open may be called again, for another server)
    while (acks.get() < subs.size() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    if (acks.get() < subs.size()) {
      throw new IllegalStateException("only " + acks.get() + " of " + subs.size() + " subscriptions acknowledged");
    }
  }

  int size() {
    return subs.size();
  }

  /** Waits until {@code expected} events arrived or the timeout passed; returns the time (nanoTime). */
  long awaitDelivered(long expected, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (delivered.sum() < expected && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    return System.nanoTime();
  }

  /** Latency of every recorded delivery against its write, in microseconds. */
  Histogram latencies(Map<Long, Long> sentAt) {
    Histogram h = new Histogram(3);
    for (Sub s : subs) {
      for (int i = 0; i < s.count; i++) {
        Long t0 = sentAt.get(s.keys[i]);
        if (t0 != null) {
          h.recordValue(Math.max(1, (s.times[i] - t0) / 1000));
        }
      }
    }
    return h;
  }

  /** Per socket, the recorded values (keys or seqs) in arrival order. */
  List<long[]> records() {
    List<long[]> out = new ArrayList<>();
    for (Sub s : subs) {
      synchronized (s) {
        out.add(Arrays.copyOf(s.keys, s.count));
      }
    }
    return out;
  }

  void clearRecords() {
    for (Sub s : subs) {
      s.count = 0;
    }
    delivered.reset();
  }

  @Override
  public void close() throws Exception {
    closing = true;
    for (Sub s : subs) {
      CoreSession c = s.session;
      if (c != null) {
        c.abort();
      }
    }
    client.stop();
    http.stop();
  }

  private final class Sub implements FrameHandler {
    private final String subscribe;
    private final boolean record;
    volatile CoreSession session;
    long[] keys = new long[64];
    long[] times = new long[64];
    int count;

    Sub(String subscribe, boolean record) {
      this.subscribe = subscribe;
      this.record = record;
    }

    @Override
    public void onOpen(CoreSession s, Callback callback) {
      session = s;
      callback.succeeded();
      s.sendFrame(new Frame(OpCode.TEXT, true, subscribe), Callback.NOOP, false);
      s.demand();
    }

    private final java.io.ByteArrayOutputStream partial = new java.io.ByteArrayOutputStream();

    @Override
    public void onFrame(Frame frame, Callback callback) {
      long now = System.nanoTime();
      byte op = frame.getOpCode();
      ByteBuffer p = frame.getPayload();
      if (op == OpCode.TEXT && frame.isFin() && p != null) {
        onText(p.slice(), now); // the common case: a whole message in one frame, parsed in place
      } else if (op == OpCode.TEXT || op == OpCode.CONTINUATION) {
        // Jetty delivers a frame split across reads as fragments: join them
        if (op == OpCode.TEXT) {
          partial.reset();
        }
        if (p != null) {
          byte[] b = new byte[p.remaining()];
          p.slice().get(b);
          partial.writeBytes(b);
        }
        if (frame.isFin()) {
          onText(ByteBuffer.wrap(partial.toByteArray()), now);
        }
      }
      callback.succeeded();
      session.demand();
    }

    private static final byte[] EVENT = "{\"event".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] STATUS = "{\"status".getBytes(StandardCharsets.US_ASCII);

    /** The first number in the status's name ("sb-17 node 1" → 17): which engine it is. */
    private static long nameNumber(ByteBuffer b) {
      int end = b.limit();
      for (int i = b.position(); i < end - 8; i++) {
        if (b.get(i) == '"' && b.get(i + 1) == 'n' && b.get(i + 2) == 'a' && b.get(i + 3) == 'm'
            && b.get(i + 4) == 'e' && b.get(i + 5) == '"' && b.get(i + 6) == ':') {
          int j = i + 7;
          while (j < end && (b.get(j) < '0' || b.get(j) > '9')) {
            j++;
          }
          long v = 0;
          while (j < end && b.get(j) >= '0' && b.get(j) <= '9') {
            v = v * 10 + (b.get(j) - '0');
            j++;
          }
          return v;
        }
      }
      return -1;
    }
    private static final byte[] SUCCESS = "{\"success\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FAILURE = "{\"failure\"".getBytes(StandardCharsets.US_ASCII);

    private static boolean startsWith(ByteBuffer b, byte[] prefix) {
      if (b.remaining() < prefix.length) {
        return false;
      }
      for (int i = 0; i < prefix.length; i++) {
        if (b.get(b.position() + i) != prefix[i]) {
          return false;
        }
      }
      return true;
    }

    /** Parses {@code ,"seq":N} (followed by {@code ,"at":…} or the closing brace). */
    private static long seq(ByteBuffer b) {
      int start = b.position();
      for (int i = b.limit() - 7; i > start; i--) {
        if (b.get(i) == '"' && b.get(i + 1) == 's' && b.get(i + 2) == 'e' && b.get(i + 3) == 'q'
            && b.get(i + 4) == '"' && b.get(i + 5) == ':') {
          long v = 0;
          for (int j = i + 6; j < b.limit() && b.get(j) >= '0' && b.get(j) <= '9'; j++) {
            v = v * 10 + (b.get(j) - '0');
          }
          return v;
        }
      }
      return -1;
    }

    /** Parses the element key: the digits before the first '"' that follows "/elements/…/". */
    private static long key(ByteBuffer b) {
      int start = b.position();
      int end = b.limit();
      int quote = -1;
      // "element":"http://…/elements/host/1234"  — find "element":" then the closing quote
      for (int i = start + 12; i < end - 11; i++) {
        if (b.get(i) == 'm' && b.get(i + 1) == 'e' && b.get(i + 2) == 'n' && b.get(i + 3) == 't'
            && b.get(i + 4) == '"' && b.get(i + 5) == ':' && b.get(i + 6) == '"') {
          for (int j = i + 7; j < end; j++) {
            if (b.get(j) == '"') {
              quote = j;
              break;
            }
          }
          break;
        }
      }
      long k = 0;
      long mul = 1;
      for (int i = quote - 1; i > start && b.get(i) != '/'; i--) {
        k += (b.get(i) - '0') * mul;
        mul *= 10;
      }
      return k;
    }

    private void onText(ByteBuffer text, long now) {
      if (status ? startsWith(text, STATUS) : startsWith(text, EVENT)) {
        if (record) {
          long key = status ? nameNumber(text) : bySeq ? seq(text) : key(text);
          synchronized (this) {
            if (count == keys.length) {
              keys = Arrays.copyOf(keys, count * 2);
              times = Arrays.copyOf(times, count * 2);
            }
            keys[count] = key;
            times[count] = now;
            count++;
          }
        }
        delivered.increment();
      } else if (startsWith(text, SUCCESS)) {
        acks.incrementAndGet();
      } else if (startsWith(text, FAILURE) && errorsReported.getAndIncrement() < 3) {
        System.err.println("subscriber refused: " + StandardCharsets.UTF_8.decode(text.slice()));
      }
    }

    @Override
    public void onError(Throwable cause, Callback callback) {
      if (!closing && errorsReported.getAndIncrement() < 3) {
        System.err.println("subscriber error: " + cause);
      }
      callback.succeeded();
    }

    @Override
    public void onClosed(CloseStatus closeStatus, Callback callback) {
      if (closedEarly.getAndIncrement() < 3 && !closing) {
        System.err.println("subscriber closed: " + closeStatus);
      }
      callback.succeeded();
    }
  }
}
