package example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.testing.HeraldExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What a user writes: the extension starts a server, the test logs in to it. */
class HeraldInAJUnit5ProjectTest {
  @RegisterExtension
  static HeraldExtension herald = HeraldExtension.create();

  @Test
  void loginWithTheExtensionsKey_opensASession() throws Exception {
    HttpResponse<String> login = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(herald.url() + "/7.2/login"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(
                "{\"authenticationkey\":\"" + herald.apiKey() + "\",\"domain\":\"Shared Domain\"}"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, login.statusCode(), login.body());
    assertTrue(login.headers().firstValue("Set-Cookie").orElse("").startsWith("JSESSIONID="));
  }
}
