package dev.herald.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.protocol.Json;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * One policy grown to many rules: at each size, adding a rule at the top and in the middle,
 * listing the collection, and the time from a rule's POST to its event on a socket subscribed
 * to the rule type — beside a host create, the raw baseline of a plain element write, in the
 * same run. Adding a rule writes that rule only, so its cost should not grow with the policy;
 * listing is the one operation that is linear (it returns every rule).
 */
@Command(name = "rules", mixinStandardHelpOptions = true,
    description = "Rules in one policy: add at the top and in the middle, list, event delivery, at growing sizes.")
final class RulesBench implements Callable<Integer> {
  @Option(names = "--sizes", split = ",", defaultValue = "1000,10000", description = "policy sizes to measure at")
  int[] sizes;
  @Option(names = "--ops", defaultValue = "200", description = "adds measured per position and size")
  int ops;
  @Option(names = "--lists", defaultValue = "20", description = "collection GETs measured per size")
  int lists;

  private Writer w;
  private String collection;
  /** When each added rule's POST was sent, and when its create event arrived, by its href. */
  private final Map<String, Long> sentAt = new ConcurrentHashMap<>();
  private final Map<String, Long> receivedAt = new ConcurrentHashMap<>();
  private Histogram delivery = new Histogram(3);

  @Override
  public Integer call() throws Exception {
    Path data = Bench.tempData();
    try (ServerProcess server = ServerProcess.start("herald", data, "2g")) {
      w = new Writer(server.url(), true);
      String template = get(w.base + "/elements/fw_template_policy?filter=Firewall%20Template&exact_match=True")
          .get("result").get(0).get("href").asText();
      HttpResponse<String> p = post(w.base + "/elements/fw_policy",
          "{\"name\":\"bench\",\"template\":\"" + template + "\"}");
      String policy = p.headers().firstValue("Location").orElseThrow();
      collection = policy + "/fw_ipv4_access_rule";
      WebSocket ws = socket(server.url());
      Results results = new Results("rules");
      int have = 0;
      for (int size : sizes) {
        while (have < size) {
          add("", have++); // fill at the top (the default position)
        }
        sentAt.clear();
        JsonNode list = get(collection).get("result");
        String middle = list.get(list.size() / 2).get("href").asText();
        String middleTag = middle.substring(middle.lastIndexOf('/') + 1) + ".0";
        Histogram top = new Histogram(3);
        Histogram mid = new Histogram(3);
        Histogram host = new Histogram(3);
        sentAt.clear();
        receivedAt.clear();
        for (int i = 0; i < ops; i++) {
          top.recordValue(add("", have++));
          mid.recordValue(add("?after=" + middleTag, have++));
          long t0 = System.nanoTime();
          post(w.base + "/elements/host", "{\"name\":\"h-" + size + "-" + i + "\",\"address\":\"10.1.1.1\"}");
          host.recordValue(Math.max(1, (System.nanoTime() - t0) / 1000));
        }
        // every add's event must have arrived before the delivery figures are read
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!receivedAt.keySet().containsAll(sentAt.keySet()) && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        delivery = new Histogram(3);
        sentAt.forEach((href, t0) -> {
          Long t1 = receivedAt.get(href);
          if (t1 != null) {
            delivery.recordValue(Math.max(1, (t1 - t0) / 1000));
          }
        });
        Histogram listing = new Histogram(3);
        for (int i = 0; i < lists; i++) {
          long t0 = System.nanoTime();
          int n = get(collection).get("result").size();
          listing.recordValue(Math.max(1, (System.nanoTime() - t0) / 1000));
          if (n != have) {
            throw new IllegalStateException("the collection lists " + n + " rules, " + have + " were added");
          }
        }
        System.out.printf(Locale.ROOT, "%,d rules: add at top p50 %.2f p99 %.2f ms, add in the middle p50 %.2f p99 %.2f ms,"
            + " list p50 %.1f ms, POST-to-event p50 %.2f p99 %.2f ms (%d of %d events); baseline host create p50 %.2f p99 %.2f ms%n",
            size, Bench.ms(top, 50), Bench.ms(top, 99), Bench.ms(mid, 50), Bench.ms(mid, 99), Bench.ms(listing, 50),
            Bench.ms(delivery, 50), Bench.ms(delivery, 99), delivery.getTotalCount(), 2 * ops,
            Bench.ms(host, 50), Bench.ms(host, 99));
        String k = "n" + size + "_";
        results.put(k + "top_p50_ms", Bench.ms(top, 50)).put(k + "top_p99_ms", Bench.ms(top, 99))
            .put(k + "middle_p50_ms", Bench.ms(mid, 50)).put(k + "middle_p99_ms", Bench.ms(mid, 99))
            .put(k + "list_p50_ms", Bench.ms(listing, 50))
            .put(k + "event_p50_ms", Bench.ms(delivery, 50)).put(k + "event_p99_ms", Bench.ms(delivery, 99))
            .put(k + "events_lost", 2L * ops - delivery.getTotalCount())
            .put(k + "baseline_host_p50_ms", Bench.ms(host, 50)).put(k + "baseline_host_p99_ms", Bench.ms(host, 99));
      }
      ws.abort();
      results.emit(Bench.commandLine);
    } finally {
      Bench.deleteTree(data);
    }
    return 0;
  }

  /** Adds one rule; returns its latency in µs, and remembers when it was sent for its event. */
  private long add(String position, int i) throws Exception {
    String body = "{\"name\":\"rule-" + i + "\",\"sources\":{\"any\":true},\"destinations\":{\"any\":true},"
        + "\"services\":{\"any\":true},\"action\":{\"action\":[\"allow\"]}}";
    long t0 = System.nanoTime();
    HttpResponse<String> r = post(collection + position, body);
    long us = Math.max(1, (System.nanoTime() - t0) / 1000);
    if (r.statusCode() != 201) {
      throw new IllegalStateException("rule create failed: " + r.statusCode() + " " + r.body());
    }
    sentAt.put(r.headers().firstValue("Location").orElseThrow(), t0);
    return us;
  }

  private WebSocket socket(String url) throws Exception {
    CountDownLatch acked = new CountDownLatch(1);
    WebSocket ws = w.http.newWebSocketBuilder().header("Cookie", w.cookie)
        .buildAsync(URI.create(url.replace("http://", "ws://") + "/7.2/notification/socket"), new WebSocket.Listener() {
          private final StringBuilder part = new StringBuilder();

          @Override
          public CompletionStage<?> onText(WebSocket s, CharSequence data, boolean last) {
            part.append(data);
            if (last) {
              JsonNode m = Json.parseObject(part.toString()).orElse(null);
              part.setLength(0);
              if (m != null && m.has("event")) {
                // a create, matched with its POST later: it may arrive before the POST's answer
                // (updates of rules whose ranks were spread out are not deliveries of an add)
                if (m.get("event").path("type").asText().equals("create")) {
                  receivedAt.putIfAbsent(m.get("event").get("element").asText(), System.nanoTime());
                }
              } else {
                acked.countDown();
              }
            }
            s.request(1);
            return null;
          }
        }).join();
    ws.sendText("{\"context\":\"fw_ipv4_access_rule\"}", true).join();
    if (!acked.await(10, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the subscription was not acknowledged");
    }
    return ws;
  }

  private JsonNode get(String url) throws Exception {
    HttpResponse<String> r = w.http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    return Json.mapper().readTree(r.body());
  }

  private HttpResponse<String> post(String url, String json) throws Exception {
    return w.http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
