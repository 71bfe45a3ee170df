package dev.herald.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.client.Event;
import dev.herald.client.HeraldClient;
import dev.herald.client.Search;
import dev.herald.client.Subscription;
import dev.herald.server.DisposableServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code herald train-archive} (hidden): the run the launchers make, once, under
 * {@code -XX:ArchiveClassesAtExit}, to make the class-data archive later starts map. It starts a
 * server on a data directory of its own (the default's embedded database, on disk), drives the
 * paths a first hour of use takes (login, the system resource, creates, a search, an update, a
 * notification subscription that receives them, an export, a delete) and exits normally, which is
 * when the JVM writes the archive.
 *
 * <p>The archive is written by a JVM that serves nobody and ends right after: a serving JVM never
 * dumps. (Dumping from a running server with {@code VM.cds dynamic_dump}, as Herald did before,
 * made Temurin 25 crash on the next lambda it linked.)
 */
@Command(name = "train-archive", hidden = true,
    description = "Run a short workload on a private server and exit (the launchers' class-data archive run).")
final class ArchiveTraining implements Callable<Integer> {
  private static final String KEY = "archive-training-" + Long.toHexString(System.nanoTime());

  @Override
  public Integer call() throws Exception {
    Logging.setLevel("error");
    // serve's command line too (this run builds only its own command): its classes go in the archive
    Herald.commandLine("serve").parseArgs("serve", "--data", "mem", "--port", "0");
    // the default's embedded database in a temporary directory, deleted when the server closes
    try (DisposableServer server = DisposableServer.start(DisposableServer.Storage.DIRECTORY, b -> b.apiKey(KEY))) {
      drive(server.url());
    }
    return 0;
  }

  private static void drive(String url) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
        .cookieHandler(new java.net.CookieManager()).build();
    send(http, HttpRequest.newBuilder(URI.create(url + "/api")).GET());
    try (HeraldClient client = HeraldClient.builder().url(url).apiKey(KEY).apiVersion("7.2")
        .timeout(Duration.ofSeconds(30)).build()) {
      LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
      try (Subscription s = client.subscribe(Subscription.Spec.of("host"), events::add)) {
        for (int i = 1; i <= 3; i++) {
          ObjectNode host = JsonNodeFactory.instance.objectNode().put("name", "training-" + i).put("address", "192.0.2." + i);
          var created = client.create("host", host);
          client.update(created, created.copy().put("comment", "trained"));
        }
        for (int i = 0; i < 6; i++) { // three creates, three updates
          if (events.poll(30, TimeUnit.SECONDS) == null) {
            throw new IllegalStateException("the training's subscription received no event");
          }
        }
        for (var meta : client.search(Search.of("host").filter("training-"))) {
          client.delete(meta.href());
        }
      }
      // the calls an SMC script makes first, as an SMC client makes them (its own session)
      send(http, HttpRequest.newBuilder(URI.create(url + "/7.2/login")).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"authenticationkey\":\"" + KEY + "\"}")));
      for (String path : new String[] {"/7.2/system", "/7.2/elements", "/7.2/elements/host",
          "/console/"}) {
        send(http, HttpRequest.newBuilder(URI.create(url + path)).GET());
      }
      send(http, HttpRequest.newBuilder(URI.create(url + "/7.2/system/export_elements?type=all"))
          .POST(HttpRequest.BodyPublishers.noBody()));
      send(http, HttpRequest.newBuilder(URI.create(url + "/7.2/logout")).PUT(HttpRequest.BodyPublishers.noBody()));
    }
  }

  private static void send(HttpClient http, HttpRequest.Builder request) throws Exception {
    HttpResponse<byte[]> r = http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() >= 400) {
      throw new IllegalStateException(r.request().uri() + " answered " + r.statusCode());
    }
  }
}
