package dev.herald.server.notify;

import dev.herald.protocol.EventType;

import dev.herald.protocol.Command;
import dev.herald.server.element.Caller;
import dev.herald.server.session.Session;
import dev.herald.server.store.Change;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * JMH micro-benchmarks of the fan-out hot paths (in the notify package to reach its
 * package-private types): rendering an event frame, matching a change against the subscription
 * index, parsing a subscribe command. Run with {@code ./herald-bench jmh}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HotPathBenchmarks {
  private static final String BASE = "http://127.0.0.1:8082/7.2";
  private static final String[] TYPES = {"host", "router", "network", "address_range", "group",
      "tcp_service", "udp_service", "domain_name", "fw_policy", "admin_user"};

  private SubscriptionIndex index;
  private Subscription[] sameStyle;
  private Change change;
  private long seq = 1;

  @Setup
  public void setup() {
    index = new SubscriptionIndex();
    Session session = new Session("hash", new Caller(1, "bench", 1, dev.herald.server.element.Rights.SUPERUSER), 0);
    Connection conn = new Connection(null, null, null, session, BASE, false, 65536, 256, 10_000, 1 << 22, false);
    sameStyle = new Subscription[1000];
    for (int i = 0; i < 1000; i++) {
      // 1000 subscribers: 200 on "*", the rest on one type each
      boolean all = i % 5 == 0;
      Command.Subscribe cmd = (Command.Subscribe) Command.parse(
          all ? "{\"context\":\"*\"}" : "{\"context\":\"" + TYPES[i % TYPES.length] + "\"}");
      Subscription ch = new Subscription(0, conn, cmd, all ? Set.of() : Set.of(TYPES[i % TYPES.length]),
          new FrameStyle(0, false, false), false, 0);
      index.add(ch, List.of(1L));
      sameStyle[i] = ch;
    }
    change = new Change(1, 1, "host", 1732, "h1", EventType.CREATE, 0, "bench");
  }

  /** Renders one event frame for a new change (the first channel of a fan-out pays this). */
  @Benchmark
  public byte[] renderFrame_firstOfAChange() {
    FrameCache cache = new FrameCache((ch, b, node) -> "{}");
    Change c = new Change(seq++, 1, "host", 1732, "h1", EventType.CREATE, 0, "bench");
    return cache.render(c, BASE.intern(), sameStyle[0]);
  }

  /** Renders the same change for 1000 channels: one encode, 999 cache hits. */
  @Benchmark
  public void renderFrame_1000ChannelsSameStyle(Blackhole bh) {
    FrameCache cache = new FrameCache((ch, b, node) -> "{}");
    Change c = new Change(seq++, 1, "host", 1732, "h1", EventType.CREATE, 0, "bench");
    String base = BASE.intern();
    for (Subscription ch : sameStyle) {
      bh.consume(cache.render(c, base, ch));
    }
  }

  /** Finds and filters the channels of a change among 1000 (200 "*", 800 typed). */
  @Benchmark
  public int matchChange_1000Channels() {
    int n = 0;
    for (Subscription ch : index.all(1)) {
      if (ch.accepts(change)) {
        n++;
      }
    }
    for (Subscription ch : index.byType(1, change.type())) {
      if (ch.accepts(change)) {
        n++;
      }
    }
    return n;
  }

  @Benchmark
  public Command parseSubscribe() {
    return Command.parse("{\"context\": \"host, router\", \"since\": 12345, \"types\": [\"create\", \"delete\"]}");
  }

  @Benchmark
  public Command parseSmcSubscribe() {
    return Command.parse("{\"context\": \"*\"}");
  }
}
