package dev.herald.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test class's server and its smc-python-like client, as a JUnit extension
 * ({@code @RegisterExtension static SmcServer smc = SmcServer.start(b -> b.adminApi(true));}): the
 * server starts before the class's tests and stops after them; unique names and a link's href
 * are helpers every replay test needs.
 */
final class SmcServer implements BeforeAllCallback, AfterAllCallback {
  private final UnaryOperator<ServerConfig.Builder> config;
  private final AtomicInteger names = new AtomicInteger();
  private TestServer server;
  private SmcClient py;

  private SmcServer(UnaryOperator<ServerConfig.Builder> config) {
    this.config = config;
  }

  static SmcServer start(UnaryOperator<ServerConfig.Builder> config) {
    return new SmcServer(config);
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    server = TestServer.start(config);
    py = SmcClient.loggedIn(server);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    server.close();
  }

  TestServer server() {
    return server;
  }

  /** The client logged in as the superuser, at API 7.2. */
  SmcClient py() {
    return py;
  }

  /** A name no other element of this class's tests has. */
  String unique(String prefix) {
    return prefix + "-" + names.incrementAndGet();
  }

  /** The href of an element's link, as smc-python's get_relation finds it; fails when there is none. */
  static String rel(JsonNode o, String rel) {
    for (JsonNode l : o.get("link")) {
      if (l.get("rel").asText().equals(rel)) {
        return l.get("href").asText();
      }
    }
    throw new AssertionError("no link " + rel + " in " + o.get("link"));
  }
}
