package dev.herald.server.notify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.protocol.Command;
import dev.herald.protocol.EventType;
import dev.herald.server.element.Caller;
import dev.herald.server.element.Rights;
import dev.herald.server.session.Session;
import dev.herald.server.store.Change;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A subscription and the index that finds it, without a server: which changes it accepts, the
 * order and uniqueness of its frames across a replay and live changes, and lookups by domain
 * and type.
 */
class SubscriptionTest {
  private static final Session SESSION = new Session("hash", new Caller(1, "t", 1, Rights.SUPERUSER), 0);

  private static Change change(long seq, String type, EventType action, String name) {
    return new Change(seq, 1, type, 100 + seq, name, action, 0, "test");
  }

  private static byte[] frame(Change c) {
    return Long.toString(c.seq()).getBytes(StandardCharsets.UTF_8);
  }

  private static Connection connection(OutboxTest.HeldSink sink) {
    return new Connection(null, null, null, SESSION, "http://h/7.2", false, 65536, 16, 1000, 1 << 20, false, sink);
  }

  private static Subscription subscription(Connection conn, String command, Set<String> types,
      boolean replaying, long start) {
    return new Subscription(0, conn, (Command.Subscribe) Command.parse(command), types,
        new FrameStyle(0, false, true), replaying, start);
  }

  @Test
  void filtersAndTypes_decideWhatItAccepts() {
    Connection conn = connection(new OutboxTest.HeldSink());
    Subscription hosts = subscription(conn,
        "{\"context\":\"host\",\"types\":[\"create\"],\"names\":[\"a\"]}", Set.of("host"), false, 0);
    assertThat(hosts.accepts(change(1, "host", EventType.CREATE, "a"))).isTrue();
    assertThat(hosts.accepts(change(2, "host", EventType.UPDATE, "a"))).isFalse();
    assertThat(hosts.accepts(change(3, "host", EventType.CREATE, "b"))).isFalse();
    assertThat(hosts.accepts(change(4, "router", EventType.CREATE, "a"))).isFalse();
    assertThat(hosts.accepts(change(5, "host", EventType.STATUS, "a"))).isFalse(); // never a status
  }

  @Test
  void aReplay_heldLiveChanges_andGoingLive_giveEachSeqOnceInOrder() {
    OutboxTest.HeldSink sink = new OutboxTest.HeldSink();
    Connection conn = connection(sink);
    Subscription sub = subscription(conn, "{\"context\":\"*\",\"since\":10}", Set.of(), true, 10);
    // live changes arrive while the replay (11..13) is still running: held, not sent
    assertThat(sub.live(change(13, "host", EventType.CREATE, "x"), frame(change(13, "host", EventType.CREATE, "x")))).isFalse();
    assertThat(sub.live(change(14, "host", EventType.CREATE, "x"), frame(change(14, "host", EventType.CREATE, "x")))).isFalse();
    for (long s = 11; s <= 13; s++) {
      Change c = change(s, "host", EventType.CREATE, "x");
      sub.replayed(c, frame(c));
    }
    FrameCache cache = new FrameCache((c, b, n) -> "{}");
    sub.goLive(cache);
    Change c15 = change(15, "host", EventType.CREATE, "x");
    if (sub.live(c15, frame(c15))) {
      conn.kick();
    }
    while (sink.pending != null) {
      sink.complete();
    }
    // 13 came both from the replay and live: once; 14 from what was held, rendered by the cache
    assertThat(sink.written).hasSize(5);
    assertThat(sink.written.get(0)).isEqualTo("11");
    assertThat(sink.written.subList(1, 3)).containsExactly("12", "13");
    assertThat(sink.written.get(3)).contains("\"seq\":14");
    assertThat(sink.written.get(4)).isEqualTo("15");
    assertThat(sub.lastSeq()).isEqualTo(15);
  }

  @Test
  void aLiveSubscription_skipsWhatCommittedBeforeItWasRegistered() {
    OutboxTest.HeldSink sink = new OutboxTest.HeldSink();
    Subscription sub = subscription(connection(sink), "{\"context\":\"*\"}", Set.of(), false, 5);
    sub.startAfter(8);
    assertThat(sub.live(change(8, "host", EventType.CREATE, "x"), new byte[] {'8'})).isFalse();
    assertThat(sub.live(change(9, "host", EventType.CREATE, "x"), new byte[] {'9'})).isTrue();
    sub.close();
    assertThat(sub.live(change(10, "host", EventType.CREATE, "x"), new byte[] {'1'})).isFalse();
  }

  @Test
  void theIndex_findsSubscriptionsByDomainAndType() {
    Connection conn = connection(new OutboxTest.HeldSink());
    SubscriptionIndex index = new SubscriptionIndex();
    Subscription all = subscription(conn, "{\"context\":\"*\"}", Set.of(), false, 0);
    Subscription hosts = subscription(conn, "{\"context\":\"host, network\"}", Set.of("host", "network"), false, 0);
    index.add(all, List.of(1L, 2L));
    index.add(hosts, List.of(1L));
    assertThat(index.size()).isEqualTo(2);
    assertThat(index.all(1)).containsExactly(all);
    assertThat(index.all(2)).containsExactly(all);
    assertThat(index.byType(1, "host")).containsExactly(hosts);
    assertThat(index.byType(1, "network")).containsExactly(hosts);
    assertThat(index.byType(2, "host")).isEmpty();
    assertThat(index.byType(1, "router")).isEmpty();
    assertThat(index.all(3)).isEmpty();
    index.remove(hosts, List.of(1L));
    assertThat(index.byType(1, "host")).isEmpty();
    index.remove(all, List.of(1L, 2L));
    assertThat(index.all(1)).isEmpty();
    assertThat(index.size()).isZero();
  }
}
