package dev.herald.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.herald.protocol.Json;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A URL that leads to something that is not Herald or an SMC (a proxy's page, another service)
 * is a protocol error, told apart from an error the server reports. A server that answers
 * outside the protocol is hard to get from Herald itself, so a JDK HTTP server plays one.
 */
class NotHeraldTest {
  @Test
  void answersOutsideTheProtocol_areProtocolErrors_notApiErrors() throws Exception {
    HttpServer other = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    other.createContext("/", x -> {
      String path = x.getRequestURI().getPath();
      x.getRequestBody().readAllBytes();
      int status;
      String body = "";
      if (path.endsWith("/login")) {
        x.getResponseHeaders().add("Set-Cookie", "JSESSIONID=abc; Path=/");
        status = 200;
        body = "{}";
      } else if (path.endsWith("/logout")) {
        status = 204;
      } else if (path.endsWith("/elements/host") && x.getRequestMethod().equals("POST")) {
        status = 201; // created, but says not where
      } else if (path.endsWith("/elements/host/1")) {
        status = 200;
        body = "[\"not\", \"an element\"]";
      } else {
        status = 404;
        body = "{\"message\":\"no such thing\"}";
      }
      byte[] b = body.getBytes(StandardCharsets.UTF_8);
      x.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
      if (b.length > 0) {
        x.getResponseBody().write(b);
      }
      x.close();
    });
    other.start();
    try (HeraldClient c = HeraldClient.builder().url("http://127.0.0.1:" + other.getAddress().getPort())
        .apiKey("some-key-0123456789").apiVersion("7.2").build()) {
      assertThatThrownBy(() -> c.create("host", Json.object().put("name", "h").put("address", "192.0.2.1")))
          .isInstanceOf(HeraldProtocolException.class).hasMessageContaining("without a Location");
      assertThatThrownBy(() -> c.get("host", 1))
          .isInstanceOf(HeraldProtocolException.class).hasMessageContaining("is not a JSON object");
      // an error the server reports stays an API error, with its status
      assertThatThrownBy(() -> c.get("host", 2)).isInstanceOfSatisfying(HeraldApiException.class,
          e -> assertThat(e.status()).isEqualTo(404));
    } finally {
      other.stop(0);
    }
  }
}
