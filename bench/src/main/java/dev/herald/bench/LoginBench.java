package dev.herald.bench;

import static dev.herald.bench.Bench.ms;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What a login costs with the stored secrets at full strength (PBKDF2, 600,000 rounds): the
 * first login of a key created through the API (one slow hash), the first login of the key the
 * server was started with (remembered by the start: no hash), repeated logins with the same key, failed logins (a
 * wrong key: one slow hash, then throttled), beside the raw baseline of the same HTTP round trip
 * without a login ({@code GET /api}) in the same run.
 */
@Command(name = "logins", mixinStandardHelpOptions = true,
    description = "Login latency: first and repeated logins with a valid API key, failed logins, beside a plain GET.")
final class LoginBench implements Callable<Integer> {
  @Option(names = "--repeats", defaultValue = "300", description = "repeated logins with the valid key")
  int repeats;
  @Option(names = "--failures", defaultValue = "20", description = "logins with a wrong key")
  int failures;
  @Option(names = "--jvm", description = "JVM options of the server, as `jvm --candidate` takes them (\"launcher\" = the"
      + " launchers' conf/jvm.options). Default: a fixed 512 MiB heap, the parallel"
      + " collector, the JVM's compilers.")
  String jvm;

  @Override
  public Integer call() throws Exception {
    Path data = Bench.tempData();
    java.util.List<String> opts = jvm == null ? null : ServerProcess.jvmOptions(jvm);
    try (ServerProcess server = opts == null ? ServerProcess.start("herald", data, "512m")
        : ServerProcess.start("herald", data, opts, null)) {
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10)).build();
      String base = server.url() + "/7.2";
      // the key the server was started with: set by the start, so remembered as verified
      long t0 = System.nanoTime();
      int startKey = login(http, base, ServerMain.API_KEY);
      double startKeyMs = (System.nanoTime() - t0) / 1e6;
      if (startKey != 200) {
        throw new IllegalStateException("the start key's first login failed: " + startKey);
      }
      // a key given since, through the API: its first login costs one slow hash
      HttpClient admin = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .cookieHandler(new java.net.CookieManager()).connectTimeout(Duration.ofSeconds(10)).build();
      String newKey = "bench-later-key-" + System.nanoTime();
      if (login(admin, base, ServerMain.API_KEY) != 200 || admin.send(HttpRequest.newBuilder(URI.create(base + "/elements/api_client"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"bench-later\",\"superuser\":true,"
              + "\"authentication_key\":\"" + newKey + "\"}")).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode() != 201) {
        throw new IllegalStateException("could not create an api_client for the first login");
      }
      t0 = System.nanoTime();
      int first = login(http, base, newKey);
      double firstMs = (System.nanoTime() - t0) / 1e6;
      if (first != 200) {
        throw new IllegalStateException("the first login failed: " + first);
      }
      Histogram plain = new Histogram(3);
      Histogram again = new Histogram(3);
      for (int i = 0; i < repeats; i++) {
        long a = System.nanoTime();
        int s = http.send(HttpRequest.newBuilder(URI.create(server.url() + "/api")).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode();
        plain.recordValue(Math.max(1, (System.nanoTime() - a) / 1000));
        long b = System.nanoTime();
        int l = login(http, base, ServerMain.API_KEY);
        again.recordValue(Math.max(1, (System.nanoTime() - b) / 1000));
        if (s != 200 || l != 200) {
          throw new IllegalStateException("GET /api " + s + ", login " + l);
        }
      }
      Histogram failed = new Histogram(3);
      double cpu0 = server.cpuSeconds();
      int refused = 0;
      java.util.Map<Integer, Integer> statuses = new java.util.TreeMap<>();
      for (int i = 0; i < failures; i++) {
        long a = System.nanoTime();
        int s = login(http, base, "not-the-key-" + i + "-0123456789");
        failed.recordValue(Math.max(1, (System.nanoTime() - a) / 1000));
        statuses.merge(s, 1, Integer::sum);
        if (s == 401) {
          refused++;
        }
      }
      double failCpuMs = (server.cpuSeconds() - cpu0) * 1000 / failures;
      new Results("logins").put("jvm", opts == null ? "fixed-512m" : String.join("_", opts))
          .put("repeats", repeats)
          .put("first_login_ms", firstMs)
          .put("start_key_first_login_ms", startKeyMs)
          .put("repeat_login_p50_ms", ms(again, 50))
          .put("repeat_login_p99_ms", ms(again, 99))
          .put("baseline_get_p50_ms", ms(plain, 50))
          .put("baseline_get_p99_ms", ms(plain, 99))
          .put("failures", failures)
          .put("failed_refused", refused)
          .put("failed_statuses", statuses.toString().replace(" ", ""))
          .put("failed_login_p50_ms", ms(failed, 50))
          .put("failed_login_max_ms", failed.getMaxValue() / 1000.0)
          .put("failed_login_server_cpu_ms", failCpuMs)
          .emit(Bench.commandLine);
    } finally {
      Bench.deleteTree(data);
    }
    return 0;
  }

  private static int login(HttpClient http, String base, String key) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base + "/login"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"authenticationkey\":\"" + key + "\"}")).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }
}
