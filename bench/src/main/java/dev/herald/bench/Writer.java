package dev.herald.bench;

import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;

/**
 * Creates hosts over REST (JDK HttpClient) and remembers when each create was sent, by element
 * key, so deliveries can be matched to their write. Thread-safe.
 */
final class Writer {
  final HttpClient http;
  final String base;
  final String cookie;
  /** element key → System.nanoTime() when its create was sent. */
  final Map<Long, Long> sentAt = new ConcurrentHashMap<>();
  /** create latency (request sent → 201 received), in microseconds. */
  final Recorder createLatency = new Recorder(3);
  final AtomicLong failures = new AtomicLong();
  private final AtomicLong seq = new AtomicLong();

  Writer(String url, boolean login) throws Exception {
    CookieManager cookies = new CookieManager();
    this.http = HttpClient.newBuilder().cookieHandler(cookies).version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build();
    this.base = url + "/7.2";
    if (login) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/login"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(
              "{\"domain\":\"Shared Domain\",\"authenticationkey\":\"" + ServerMain.API_KEY + "\"}"))
          .build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException("login failed: " + r.statusCode() + " " + r.body());
      }
      this.cookie = r.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
    } else {
      this.cookie = null;
    }
  }

  /** Creates one host; returns its key, or -1 on failure. */
  long create() {
    long n = seq.incrementAndGet();
    String body = "{\"name\":\"bench-" + n + "-" + System.nanoTime() + "\",\"address\":\"10."
        + (n >> 16 & 255) + "." + (n >> 8 & 255) + "." + (n & 255) + "\"}";
    long t0 = System.nanoTime();
    try {
      HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(base + "/elements/host"))
          .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
          .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.discarding());
      long t1 = System.nanoTime();
      if (r.statusCode() != 201) {
        failures.incrementAndGet();
        return -1;
      }
      String loc = r.headers().firstValue("Location").orElseThrow();
      long key = Long.parseLong(loc.substring(loc.lastIndexOf('/') + 1));
      sentAt.put(key, t0);
      createLatency.recordValue(Math.max(1, (t1 - t0) / 1000));
      return key;
    } catch (Exception e) {
      failures.incrementAndGet();
      return -1;
    }
  }
}
