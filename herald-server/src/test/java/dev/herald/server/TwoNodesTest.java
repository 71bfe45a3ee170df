package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;
import java.net.http.HttpRequest;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Two servers on one database act as one: a session from node A works on node B, a write on A
 * reaches a subscriber on B, and a logout on A closes B's sockets. On PostgreSQL this is the
 * deployment of several machines; on H2 two nodes in one JVM share the embedded database.
 */
@ParameterizedClass(name = "on {0}")
@EnumSource(Backend.class)
class TwoNodesTest {
  @Parameter Backend backend;

  @Test
  void sessionAndChangesAreShared_andLogoutOnOneNodeClosesSocketsOnTheOther() throws Exception {
    try (TwoNodes nodes = TwoNodes.start(backend.newDatabase())) {
      HeraldServer a = nodes.a;
      HeraldServer b = nodes.b;
      SmcClient onA = nodes.onA;
      SmcClient onB = nodes.onB;
      // node A's cookie, presented to node B
      assertThat(onB.get("/elements/host").status()).isEqualTo(200);

      try (WsClient ws = WsClient.open(onB)) {
        ws.subscribe("{\"context\":\"host\"}");
        String href = onA.create("host", "{\"name\":\"cross\",\"address\":\"10.0.0.1\"}");
        String key = href.substring(href.lastIndexOf('/'));
        // node B renders the href for its own address
        assertThat(ws.next()).isEqualTo("{\"event\":{\"type\":\"create\",\"element\":\"http://127.0.0.1:"
            + b.port() + "/7.2/elements/host" + key + "\"},\"subscription_id\":0}");
        // and serves the element written on A
        assertThat(onB.getUrl(href.replace(":" + a.port() + "/", ":" + b.port() + "/")).json()
            .get("address").asText()).isEqualTo("10.0.0.1");

        assertThat(onA.send(HttpRequest.newBuilder(URI.create(onA.v("/logout")))
            .PUT(HttpRequest.BodyPublishers.noBody())).status()).isEqualTo(204);
        assertThat(ws.closed.get(10, TimeUnit.SECONDS)).isEqualTo("1000 session ended");
        assertThat(onB.get("/elements/host").status()).isEqualTo(401);
      }
    }
  }

  /** Nodes deployed together on an empty database all start: one creates the schema and the built-in elements, the others wait or find them. */
  @Test
  void nodesStartingTogetherOnAnEmptyDatabase_allStart() throws Exception {
    java.util.function.UnaryOperator<ServerConfig.Builder> database = backend.newDatabase();
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("herald-together");
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    List<java.util.concurrent.Future<HeraldServer>> starts = new java.util.ArrayList<>();
    List<HeraldServer> started = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) {
        starts.add(pool.submit(() -> HeraldServer.start(TestServer.config(dir, database))));
      }
      for (var f : starts) {
        started.add(f.get(120, java.util.concurrent.TimeUnit.SECONDS));
      }
      for (HeraldServer s : started) {
        SmcClient c = SmcClient.loggedInTo(TwoNodes.url(s));
        assertThat(c.get("/elements/host").status()).isEqualTo(200);
      }
      // one Shared Domain, one herald api_client: the built-in elements exist once
      SmcClient c = SmcClient.loggedInTo(TwoNodes.url(started.get(0)));
      assertThat(c.get("/elements/admin_domain?filter=Shared%20Domain&exact_match=true").json().get("result")).hasSize(1);
      assertThat(c.get("/elements/api_client?filter=herald&exact_match=true").json().get("result")).hasSize(1);
    } finally {
      pool.shutdownNow();
      for (HeraldServer s : started) {
        s.close();
      }
      TestServer.deleteTree(dir);
    }
  }
}
