package dev.herald.server;

import dev.herald.protocol.EventType;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.protocol.Json;
import dev.herald.server.store.Change;
import dev.herald.server.store.ChangeLog;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A node dies under its subscribers: behind a load balancer (a TCP proxy here) the client
 * reconnects, lands on another node with the same cookie, resumes with {@code since} = the last
 * seq it processed, and receives every change exactly once, in order — while writes go on.
 */
class NodeFailoverTest {
  private static final int HOSTS = 150;

  @Test
  void aNodeDies_itsSubscriberResumesOnAnother_andLosesNothing() throws Exception {
    try (TwoNodes nodes = TwoNodes.start(Backend.POSTGRES.newDatabase());
        TcpProxy balancer = new TcpProxy(List.of(nodes.a.port(), nodes.b.port()))) {
      SmcClient client = SmcClient.loggedInTo(balancer.url()); // reaches node A
      SmcClient writer = nodes.onB;
      HeraldServer b = nodes.b;

      List<Long> received = new ArrayList<>();
      CompletableFuture<Void> writes;
      WsClient ws = WsClient.open(client);
      try {
        ws.subscribe("{\"context\":\"host\",\"seq\":true}");
        writes = CompletableFuture.runAsync(() -> {
          try {
            for (int i = 0; i < HOSTS; i++) {
              writer.create("host", "{\"name\":\"f" + i + "\",\"address\":\"10.0.0.1\"}");
            }
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
        while (received.size() < HOSTS / 3) {
          received.add(Json.mapper().readTree(ws.next()).get("seq").asLong());
        }
        nodes.stopA(); // the node dies; the balancer now sends new connections to B
        assertThat(ws.closed.get(10, TimeUnit.SECONDS)).as("the socket to A ended").isNotNull();
        // what reached the client before the close still counts
        String m;
        while ((m = ws.messages.poll()) != null) {
          received.add(Json.mapper().readTree(m).get("seq").asLong());
        }
      } finally {
        ws.close();
      }

      long last = received.get(received.size() - 1);
      SmcClient again = TwoNodes.withCookieOf(client, balancer.url()); // a new connection, same cookie
      try (WsClient resumed = WsClient.open(again)) {
        JsonNode ack = Json.mapper().readTree(resumed.subscribe("{\"context\":\"host\",\"since\":" + last + "}"));
        assertThat(ack.get("success")).as(ack.toString()).isNotNull();
        writes.get(120, TimeUnit.SECONDS);
        List<Long> expected = new ChangeLog(b.database()).readAfter(0, 10_000).stream()
            .filter(c -> c.type().equals("host") && c.action() == EventType.CREATE)
            .map(Change::seq).toList();
        assertThat(expected).hasSize(HOSTS);
        while (received.size() < HOSTS) {
          received.add(Json.mapper().readTree(resumed.next()).get("seq").asLong());
        }
        assertThat(received).as("every create once, in order, across the failover").isEqualTo(expected);
        assertThat(again.get("/elements/host").status()).as("REST through the balancer, on B").isEqualTo(200);
      }
    }
  }
}
