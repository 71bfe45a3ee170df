package dev.herald.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.protocol.Json;
import dev.herald.testing.HeraldExtension;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The SDK against a real server started by the JUnit extension (one per test). */
class HeraldClientTest {
  @RegisterExtension
  HeraldExtension herald = HeraldExtension.create(b -> b.retentionCount(1_000));

  private HeraldClient client() {
    return HeraldClient.builder().url(herald.url()).apiKey(herald.apiKey()).build();
  }

  @Test
  void crudAndSearch_withTypedErrors() {
    try (HeraldClient c = client()) {
      assertThat(c.apiVersion()).isEqualTo("7.2");
      Element h = c.create("host", Json.object().put("name", "web-1").put("address", "10.0.0.1"));
      assertThat(h.href()).endsWith("/7.2/elements/host/" + h.key());
      assertThat(c.get(h.href()).json().path("address").asText()).isEqualTo("10.0.0.1");

      Element updated = c.update(h, h.copy().put("address", "10.0.0.2"));
      assertThat(updated.json().path("address").asText()).isEqualTo("10.0.0.2");
      HeraldApiException stale = org.junit.jupiter.api.Assertions.assertThrows(HeraldApiException.class,
          () -> c.update(h, h.copy().put("address", "10.0.0.3")));
      assertThat(stale.status()).isEqualTo(412);
      assertThat(stale.serverMessage()).startsWith("Impossible to update the element web-1");

      assertThat(c.search(Search.of("host").filter("web").exactMatch(false)))
          .extracting(HeraldClient.Meta::href).containsExactly(h.href());
      assertThat(c.search(Search.of("router", "host").filter("web-1").exactMatch(true))).hasSize(1);

      assertThatThrownBy(() -> c.create("host", Json.object().put("name", "bad").put("address", "999.1.1.1")))
          .isInstanceOf(HeraldApiException.class)
          .satisfies(e -> assertThat(((HeraldApiException) e).details().get(0)).contains("not a valid IPv4"));
      c.delete(h.href(), updated.etag());
      assertThat(org.junit.jupiter.api.Assertions.assertThrows(HeraldApiException.class,
          () -> c.get(h.href())).status()).isEqualTo(404);
    }
  }

  @Test
  void expiredSession_isRenewedTransparently() {
    try (HeraldClient c = client()) {
      c.logout(); // the server forgets the session; the next call logs in again
      assertThat(c.search(Search.of("host").filter("Localhost").exactMatch(true))).hasSize(1); // SMC's built-in host
    }
  }

  @Test
  void listener_survivesAServerRestart_andGetsEveryChangeOnceInOrder() throws Exception {
    List<Event> events = new CopyOnWriteArrayList<>();
    List<String> created = new CopyOnWriteArrayList<>();
    try (HeraldClient c = client(); HeraldClient writer = client()) {
      Subscription s = c.subscribe(Subscription.Spec.of("host"), events::add);
      Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> s.state() == Subscription.State.CONNECTED);
      for (int i = 0; i < 5; i++) {
        created.add(writer.create("host", Json.object().put("name", "a" + i).put("address", "10.0.0.1")).href());
      }
      Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> events.size() == 5);

      herald.restart(); // same data directory and port: sessions and the change log survive
      // made while the subscription is reconnecting (its back-off has not run out yet)
      for (int i = 0; i < 5; i++) {
        created.add(writer.create("host", Json.object().put("name", "b" + i).put("address", "10.0.0.1")).href());
      }
      Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> events.size() >= 10);
      for (int i = 0; i < 5; i++) {
        created.add(writer.create("host", Json.object().put("name", "c" + i).put("address", "10.0.0.1")).href());
      }
      Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> events.size() >= 15);
      assertThat(events).extracting(Event::href).containsExactlyElementsOf(created);
      assertThat(events).extracting(e -> e.seq().getAsLong()).isSorted().doesNotHaveDuplicates();
      assertThat(s.lastSeq()).hasValue(events.get(events.size() - 1).seq().getAsLong());
    }
  }

  @Test
  void resumeFromExpiredHistory_isSurfaced_andLiveEventsFollow() throws Exception {
    long[] expired = new long[3];
    List<Event> events = new CopyOnWriteArrayList<>();
    try (HeraldClient c = client()) {
      for (int i = 0; i < 1_010; i++) {
        c.create("network", Json.object().put("name", "n" + i).put("ipv4_network", "10.0.0.0/24"));
      }
      herald.server().pruneChangeLog(); // keeps the newest 1,000
      Subscription s = c.subscribe(Subscription.Spec.of("host").since(1), new NotificationListener() {
        @Override
        public void onEvent(Event event) {
          events.add(event);
        }

        @Override
        public void onHistoryExpired(long since, long oldestSeq, long headSeq) {
          expired[0] = since;
          expired[1] = oldestSeq;
          expired[2] = headSeq;
        }
      });
      Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> expired[2] > 0);
      long head = herald.server().changeLogHead();
      assertThat(expired).containsExactly(1, head - 999, head);
      Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> s.state() == Subscription.State.CONNECTED);
      Element h = c.create("host", Json.object().put("name", "after").put("address", "10.0.0.1"));
      Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> events.size() == 1);
      assertThat(events.get(0).href()).isEqualTo(h.href());
    }
  }

  @Test
  void subscribe_returnsOnlyOnceTheServerRegisteredIt() throws Exception {
    // before the fix, a create right after subscribe() was sometimes missed (3 in 22 runs)
    try (HeraldClient c = client()) {
      for (int i = 0; i < 20; i++) {
        java.util.concurrent.BlockingQueue<Event> got = new java.util.concurrent.LinkedBlockingQueue<>();
        try (Subscription s = c.subscribe(Subscription.Spec.of("host"), got::add)) {
          assertThat(s.state()).isEqualTo(Subscription.State.CONNECTED);
          Element h = c.create("host", Json.object().put("name", "race-" + i).put("address", "10.0.0.1"));
          Event e = got.poll(10, TimeUnit.SECONDS);
          assertThat(e).as("event of create %d", i).isNotNull();
          assertThat(e.href()).isEqualTo(h.href());
        }
      }
    }
  }

  @Test
  void subscription_knowsItsPositionBeforeAnyEvent_andResumesAcrossARestart() throws Exception {
    List<Event> events = new CopyOnWriteArrayList<>();
    try (HeraldClient c = client(); HeraldClient writer = client()) {
      Subscription s = c.subscribe(Subscription.Spec.of("host"), events::add);
      assertThat(s.lastSeq()).as("the ack names the position").hasValue(herald.server().changeLogHead());
      herald.restart(); // before any event
      // committed while the subscription is still reconnecting: the old SDK lost it
      Element first = writer.create("host", Json.object().put("name", "after-restart").put("address", "10.0.0.1"));
      Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> events.size() == 1);
      assertThat(events.get(0).href()).isEqualTo(first.href());
      assertThat(events.get(0).committedAt()).isPresent();

      herald.restart(); // between two events
      Element second = writer.create("host", Json.object().put("name", "after-second").put("address", "10.0.0.1"));
      Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> events.size() == 2);
      assertThat(events).extracting(Event::href).containsExactly(first.href(), second.href());
    }
  }

  @Test
  void aServerReplacedByAnEmptyOne_isReportedAsLostHistory() throws Exception {
    long[] lost = {-1, -1, -1};
    List<Event> events = new CopyOnWriteArrayList<>();
    try (HeraldClient c = client()) {
      for (int i = 0; i < 5; i++) {
        c.create("host", Json.object().put("name", "old-" + i).put("address", "10.0.0.1"));
      }
      Subscription s = c.subscribe(Subscription.Spec.of("host"), new NotificationListener() {
        @Override
        public void onEvent(Event event) {
          events.add(event);
        }

        @Override
        public void onHistoryExpired(long since, long oldestSeq, long headSeq) {
          lost[0] = since;
          lost[1] = oldestSeq;
          lost[2] = headSeq;
        }
      });
      long position = s.lastSeq().getAsLong();
      herald.restartEmpty();
      long newHead = herald.server().changeLogHead();
      assertThat(newHead).isLessThan(position);
      Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> lost[2] >= 0);
      assertThat(lost).containsExactly(position, newHead + 1, newHead);
      Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> s.state() == Subscription.State.CONNECTED);
      Element h = c.create("host", Json.object().put("name", "new").put("address", "10.0.0.1"));
      Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> events.size() == 1);
      assertThat(events.get(0).href()).isEqualTo(h.href());
    }
  }

  @Test
  void aRefusedSubscription_throwsTheServersReason() {
    try (HeraldClient c = client()) {
      assertThatThrownBy(() -> c.subscribe(Subscription.Spec.of("bogus"), e -> { }))
          .isInstanceOf(SubscriptionRefusedException.class).hasMessageContaining("Unknown element type bogus");
      assertThatThrownBy(() -> c.subscribe(Subscription.Spec.of("host").since(99_999), e -> { }))
          .isInstanceOf(SubscriptionRefusedException.class).hasMessageContaining("beyond the newest change");
      assertThatThrownBy(() -> c.subscribe(Subscription.Spec.of("host").types("bogus"), e -> { }))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown event type bogus");
    }
  }

  @Test
  void aUrlWithoutScheme_isAClearError() {
    assertThatThrownBy(() -> HeraldClient.builder().url("localhost:8082"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("http://");
  }
}
