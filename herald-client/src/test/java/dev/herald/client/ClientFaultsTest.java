package dev.herald.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.protocol.Json;
import dev.herald.server.http.Journal;
import dev.herald.testing.HeraldExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The SDK through every fault the extension injects: it resumes without loss, in order; and the
 * extension's own promises: one server for the class, a fresh state for each method.
 */
class ClientFaultsTest {
  @RegisterExtension
  static HeraldExtension herald = HeraldExtension.create();

  private HeraldClient client() {
    return HeraldClient.builder().url(herald.url()).apiKey(herald.apiKey())
        .maxBackoff(Duration.ofMillis(500)).build();
  }

  private static Element host(HeraldClient c, String name) {
    return c.create("host", Json.object().put("name", name).put("address", "192.0.2.1"));
  }

  /** Each method creates the same names: they would collide if the state were shared. */
  private static void startsClean(HeraldClient c) {
    assertThat(c.search(Search.of("host").filter("fault-").exactMatch(false))).isEmpty();
  }

  @Test
  void socketsClosedByAFault_theSubscriptionResumes_nothingLostOrRepeated() throws Exception {
    List<Event> events = new CopyOnWriteArrayList<>();
    List<String> made = new ArrayList<>();
    try (HeraldClient c = client(); HeraldClient writer = client()) {
      startsClean(c);
      Subscription s = c.subscribe(Subscription.Spec.of("host"), events::add);
      for (int i = 0; i < 3; i++) {
        made.add(host(writer, "fault-a" + i).href());
      }
      Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> events.size() == 3);
      assertThat(herald.closeSockets(1011, "chaos")).isEqualTo(1);
      for (int i = 0; i < 3; i++) {
        made.add(host(writer, "fault-b" + i).href()); // while it reconnects
      }
      Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> events.size() >= 6);
      assertThat(events).extracting(Event::href).containsExactlyElementsOf(made);
      assertThat(s.state()).isEqualTo(Subscription.State.CONNECTED);
    }
  }

  /** A status watch whose socket a fault closes reconnects, and delivers what changed meanwhile. */
  @Test
  void aStatusWatch_reconnectsAfterItsSocketCloses_andCatchesUp() throws Exception {
    List<com.fasterxml.jackson.databind.JsonNode> statuses = new CopyOnWriteArrayList<>();
    try (HeraldClient c = client()) {
      Element engine = c.create("single_fw", (com.fasterxml.jackson.databind.node.ObjectNode) Json.parseObject(
          "{\"name\":\"fault-fw\",\"nodes\":[{\"firewall_node\":{\"nodeid\":1}}]}").orElseThrow());
      String node = c.get(engine.href()).json().get("nodes").get(0).get("firewall_node").get("link").get(0).get("href").asText();
      try (AutoCloseable watch = c.watchStatus(node, statuses::add)) {
        simulate(c, node, "Offline");
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> last(statuses).equals("Offline"));
        assertThat(herald.closeSockets(1011, "chaos")).isPositive();
        simulate(c, node, "Standby"); // while it reconnects: arrives as the state read again
        Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> last(statuses).equals("Standby"));
        simulate(c, node, "Locked Online"); // on the new socket
        Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> last(statuses).equals("Locked Online"));
      }
    }
  }

  private static void simulate(HeraldClient c, String node, String status) {
    c.admin("POST", "simulate", Json.write(Json.object().put("element", node).put("engine_node_status", status)));
  }

  private static String last(List<com.fasterxml.jackson.databind.JsonNode> statuses) {
    return statuses.isEmpty() ? "" : statuses.get(statuses.size() - 1).path("engine_node_status").asText();
  }

  @Test
  void aStalledFeed_deliversEverythingLateInOrder() throws Exception {
    List<Event> events = new CopyOnWriteArrayList<>();
    List<String> made = new ArrayList<>();
    try (HeraldClient c = client()) {
      startsClean(c);
      c.subscribe(Subscription.Spec.of("host"), events::add);
      herald.stallFeed(Duration.ofMillis(700));
      for (int i = 0; i < 5; i++) {
        made.add(host(c, "fault-s" + i).href());
      }
      Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> events.size() >= 5);
      assertThat(events).extracting(Event::href).containsExactlyElementsOf(made);
    }
  }

  @Test
  void aDatabaseOutage_fails503_thenTheSdkAndTheFeedCarryOn() throws Exception {
    List<Event> events = new CopyOnWriteArrayList<>();
    List<String> made = new ArrayList<>();
    try (HeraldClient c = client()) {
      startsClean(c);
      c.subscribe(Subscription.Spec.of("host"), events::add);
      made.add(host(c, "fault-d0").href());
      herald.databaseOutage(Duration.ofMillis(800));
      assertThatThrownBy(() -> host(c, "fault-lost")).isInstanceOf(HeraldApiException.class)
          .satisfies(e -> assertThat(((HeraldApiException) e).status()).isEqualTo(503));
      Awaitility.await().atMost(10, TimeUnit.SECONDS).ignoreExceptions()
          .until(() -> made.add(host(c, "fault-d1").href()));
      made.add(host(c, "fault-d2").href());
      Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> events.size() >= 3);
      assertThat(events).extracting(Event::href).containsExactlyElementsOf(made);
    }
  }

  @Test
  void requestFaults_reachTheSdkAsTypedErrors_andTheJournalShowsThem() {
    try (HeraldClient c = client()) {
      startsClean(c);
      herald.fault().method("POST").path("/7.2/elements/host").status(503).retryAfter(2).times(1).inject();
      assertThatThrownBy(() -> host(c, "fault-r")).isInstanceOf(HeraldApiException.class)
          .satisfies(e -> assertThat(((HeraldApiException) e).status()).isEqualTo(503));
      Element ok = host(c, "fault-r"); // the fault ended after one request
      List<Journal.Entry> posts = herald.journal(e -> e.method().equals("POST") && e.path().endsWith("/elements/host"));
      assertThat(posts).extracting(Journal.Entry::status).containsExactly(503, 201);
      assertThat(posts.get(0).fault()).contains("503");
      assertThat(ok.href()).isNotEmpty();
    }
  }

  @Test
  void takeRequest_givesTheExchangesInOrder() {
    try (HeraldClient c = client()) {
      startsClean(c);
      host(c, "fault-t");
    }
    // the journal was emptied by the reset before this method: the first requests are this test's
    assertThat(herald.takeRequest().path()).isEqualTo("/api");
    Journal.Entry login = herald.takeRequest();
    assertThat(login.path()).isEqualTo("/7.2/login");
    assertThat(login.requestBody()).doesNotContain(HeraldExtension.API_KEY).contains("***");
    Journal.Entry search = herald.takeRequest();
    assertThat(search.method()).isEqualTo("GET");
    Journal.Entry create = herald.takeRequest();
    assertThat(create.method()).isEqualTo("POST");
    assertThat(create.status()).isEqualTo(201);
    assertThat(create.requestBody()).contains("fault-t");
  }

  @Test
  void aResetWhileSubscribed_isReportedAsLostHistory_thenLiveEventsFollow() throws Exception {
    long[] expired = new long[1];
    List<Event> events = new CopyOnWriteArrayList<>();
    try (HeraldClient c = client()) {
      startsClean(c);
      Subscription s = c.subscribe(Subscription.Spec.of("host"), new NotificationListener() {
        @Override
        public void onEvent(Event event) {
          events.add(event);
        }

        @Override
        public void onHistoryExpired(long since, long oldestSeq, long headSeq) {
          expired[0] = since;
        }
      });
      host(c, "fault-x");
      Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> events.size() == 1);
      long position = herald.server().changeLogHead();
      herald.server().reset(true);
      Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> expired[0] > 0);
      assertThat(expired[0]).isEqualTo(position);
      Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> s.state() == Subscription.State.CONNECTED);
      Element after = host(c, "fault-x"); // the name is free again
      Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> events.size() == 2);
      assertThat(events.get(1).href()).isEqualTo(after.href());
    }
  }
}
