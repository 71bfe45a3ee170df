package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.protocol.Json;
import dev.herald.server.store.Change;
import dev.herald.server.store.ChangeLog;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
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
    Path dir = Files.createTempDirectory("herald-failover");
    UnaryOperator<ServerConfig.Builder> database = Backend.POSTGRES.newDatabase();
    HeraldServer a = HeraldServer.start(TestServer.config(dir, database));
    boolean aStopped = false;
    try (HeraldServer b = HeraldServer.start(TestServer.config(dir, database));
        TcpProxy balancer = new TcpProxy(List.of(a.port(), b.port()))) {
      SmcClient client = new SmcClient(balancer.url(), "7.2"); // reaches node A
      assertThat(client.post("/login", "{\"authenticationkey\":\"" + TestServer.API_KEY + "\"}").status()).isEqualTo(200);
      SmcClient writer = SmcClient.loggedInTo("http://127.0.0.1:" + b.port());

      List<Long> received = new ArrayList<>();
      AtomicInteger written = new AtomicInteger();
      CompletableFuture<Void> writes;
      WsClient ws = WsClient.open(client);
      try {
        ws.subscribe("{\"context\":\"host\",\"seq\":true}");
        writes = CompletableFuture.runAsync(() -> {
          try {
            for (int i = 0; i < HOSTS; i++) {
              writer.create("host", "{\"name\":\"f" + i + "\",\"address\":\"10.0.0.1\"}");
              written.incrementAndGet();
            }
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
        while (received.size() < HOSTS / 3) {
          received.add(Json.mapper().readTree(ws.next()).get("seq").asLong());
        }
        a.close(); // the node dies; the balancer now sends new connections to B
        aStopped = true;
        assertThat(ws.closed.get(10, TimeUnit.SECONDS)).startsWith("1001");
        // what reached the client before the close still counts
        String m;
        while ((m = ws.messages.poll()) != null) {
          received.add(Json.mapper().readTree(m).get("seq").asLong());
        }
      } finally {
        ws.close();
      }

      long last = received.get(received.size() - 1);
      SmcClient again = new SmcClient(balancer.url(), "7.2"); // a new connection, same cookie
      again.cookies.getCookieStore().add(URI.create(balancer.url()), client.cookies.getCookieStore().getCookies().get(0));
      try (WsClient resumed = WsClient.open(again)) {
        JsonNode ack = Json.mapper().readTree(resumed.subscribe("{\"context\":\"host\",\"since\":" + last + "}"));
        assertThat(ack.get("success")).as(ack.toString()).isNotNull();
        writes.get(120, TimeUnit.SECONDS);
        List<Long> expected = new ChangeLog(b.database()).readAfter(0, 10_000).stream()
            .filter(c -> c.type().equals("host") && c.action() == Change.Action.CREATE)
            .map(Change::seq).toList();
        assertThat(expected).hasSize(HOSTS);
        while (received.size() < HOSTS) {
          received.add(Json.mapper().readTree(resumed.next()).get("seq").asLong());
        }
        assertThat(received).as("every create once, in order, across the failover").isEqualTo(expected);
        assertThat(again.get("/elements/host").status()).as("REST through the balancer, on B").isEqualTo(200);
      }
    } finally {
      if (!aStopped) {
        a.close();
      }
      TestServer.deleteTree(dir);
    }
  }
}
