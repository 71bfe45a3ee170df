package dev.herald.bench;

import dev.herald.server.HeraldServer;
import dev.herald.server.ServerConfig;
import dev.herald.testing.HeraldExtension;
import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A JUnit 5 test class of 20 test invocations, each logging in, creating four elements with the
 * same names as every other invocation and checking it sees only its own — run through the
 * JUnit launcher three ways: one server for the class reset before each method (the extension's
 * default), a fresh in-memory server per method, a fresh on-disk server per method (the raw
 * baseline: what the extension did before). Then {@code reset()} alone, after a typical test's
 * state, in this JVM.
 */
@Command(name = "testclass", mixinStandardHelpOptions = true,
    description = "A 20-method JUnit class: per-method reset vs a fresh server per method; reset time.")
final class TestClassBench implements Callable<Integer> {
  @Option(names = "--runs", defaultValue = "5", description = "runs of each class (the median is reported)")
  int runs;
  @Option(names = "--resets", defaultValue = "300", description = "resets measured")
  int resets;

  /** What every test method does: a typical test's state, and a check that it starts clean. */
  static void typicalTest(String url) throws Exception {
    HttpClient http = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();
    send(http, url + "/7.2/login", "POST", "{\"authenticationkey\":\"" + HeraldExtension.API_KEY + "\"}", 200);
    String h1 = send(http, url + "/7.2/elements/host", "POST", "{\"name\":\"t-h1\",\"address\":\"192.0.2.1\"}", 201);
    String h2 = send(http, url + "/7.2/elements/host", "POST", "{\"name\":\"t-h2\",\"address\":\"192.0.2.2\"}", 201);
    send(http, url + "/7.2/elements/network", "POST", "{\"name\":\"t-n\",\"ipv4_network\":\"192.0.2.0/24\"}", 201);
    send(http, url + "/7.2/elements/group", "POST", "{\"name\":\"t-g\",\"element\":[\"" + h1 + "\",\"" + h2 + "\"]}", 201);
    String found = send(http, url + "/7.2/elements/host?filter=t-&exact_match=False", "GET", null, 200);
    if (found.split("\"href\"").length - 1 != 2) {
      throw new AssertionError("not a clean state: " + found);
    }
  }

  private static String send(HttpClient http, String url, String method, String body, int expect) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json");
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != expect) {
      throw new AssertionError(method + " " + url + " answered " + r.statusCode() + ": " + r.body());
    }
    return expect == 201 ? r.headers().firstValue("Location").orElseThrow() : r.body();
  }

  /** One server for the class, reset before each method (the extension's default). */
  public static final class SharedReset {
    @RegisterExtension
    static HeraldExtension herald = HeraldExtension.create();

    @RepeatedTest(20)
    void aTest() throws Exception {
      typicalTest(herald.url());
    }
  }

  /** A fresh in-memory server per method. */
  public static final class FreshInMemory {
    @RegisterExtension
    HeraldExtension herald = HeraldExtension.create();

    @RepeatedTest(20)
    void aTest() throws Exception {
      typicalTest(herald.url());
    }
  }

  /** A fresh server on a new data directory per method (what the extension did before). */
  public static final class FreshOnDisk {
    @RegisterExtension
    HeraldExtension herald = HeraldExtension.create().onDisk();

    @RepeatedTest(20)
    void aTest() throws Exception {
      typicalTest(herald.url());
    }
  }

  @Override
  public Integer call() throws Exception {
    Launcher launcher = LauncherFactory.create();
    double[][] times = new double[3][runs];
    Class<?>[] classes = {SharedReset.class, FreshInMemory.class, FreshOnDisk.class};
    runClass(launcher, SharedReset.class); // warm-up: class loading, JIT
    for (int i = 0; i < runs; i++) {
      for (int k = 0; k < classes.length; k++) {
        times[k][i] = runClass(launcher, classes[k]);
      }
      System.out.printf(Locale.ROOT, "run %d: shared+reset %.0f ms, fresh in memory %.0f ms, fresh on disk %.0f ms%n",
          i + 1, times[0][i], times[1][i], times[2][i]);
    }
    Histogram reset = new Histogram(3);
    try (HeraldServer s = HeraldServer.start(ServerConfig.builder().port(0).inMemory("bench-reset")
        .apiKey(HeraldExtension.API_KEY).secretHashIterations(10_000).build())) {
      String url = "http://127.0.0.1:" + s.port();
      for (int i = 0; i < resets; i++) {
        typicalTest(url);
        long t0 = System.nanoTime();
        s.reset(true);
        reset.recordValue(Math.max(1, (System.nanoTime() - t0) / 1000));
      }
    } finally {
      dev.herald.server.store.Database.dropInMemory("bench-reset");
    }
    new Results("testclass")
        .put("runs", runs)
        .put("class_shared_reset_ms", median(times[0]))
        .put("class_fresh_in_memory_ms", median(times[1]))
        .put("baseline_class_fresh_on_disk_ms", median(times[2]))
        .put("reset_p50_ms", Bench.ms(reset, 50))
        .put("reset_p99_ms", Bench.ms(reset, 99))
        .put("reset_max_ms", reset.getMaxValue() / 1000.0)
        .emit(Bench.commandLine);
    return 0;
  }

  private static double runClass(Launcher launcher, Class<?> c) {
    LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
        .selectors(org.junit.platform.engine.discovery.DiscoverySelectors.selectClass(c)).build();
    SummaryGeneratingListener summary = new SummaryGeneratingListener();
    long t0 = System.nanoTime();
    launcher.execute(request, summary);
    double ms = (System.nanoTime() - t0) / 1e6;
    TestExecutionSummary s = summary.getSummary();
    if (s.getTestsSucceededCount() != 20 || s.getTotalFailureCount() != 0) {
      s.getFailures().forEach(f -> f.getException().printStackTrace());
      throw new IllegalStateException(c.getSimpleName() + ": " + s.getTestsSucceededCount() + " of 20 passed");
    }
    return ms;
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
