package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
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

  @Test
  void aCredentialChangedOnOneNode_endsItsSessionsOnTheOther() throws Exception {
    try (TwoNodes nodes = TwoNodes.start(backend.newDatabase())) {
      String key = "two-node-key-0123456";
      String href = nodes.onA.create("api_client",
          "{\"name\":\"other\",\"authentication_key\":\"" + key + "\",\"superuser\":true}");
      SmcClient otherOnB = new SmcClient("http://127.0.0.1:" + nodes.b.port(), "7.2");
      assertThat(otherOnB.post("/login", "{\"authenticationkey\":\"" + key + "\"}").status()).isEqualTo(200);
      try (WsClient ws = WsClient.open(otherOnB)) {
        ws.subscribe("{\"context\":\"*\"}");
        SmcClient.Response cur = nodes.onA.getUrl(href);
        var body = (com.fasterxml.jackson.databind.node.ObjectNode) cur.json();
        assertThat(nodes.onA.put(href, body.put("enabled", false).toString(), cur.header("ETag")).status())
            .isEqualTo(200);
        // node B learns it from the database: the session's row is gone
        assertThat(ws.closed.get(10, TimeUnit.SECONDS)).isEqualTo("1000 session ended");
        assertThat(otherOnB.get("/elements/host").status()).isEqualTo(401);
      }
    }
  }
}
