package dev.herald.cli;

import dev.herald.client.Event;
import dev.herald.client.HeraldClient;
import dev.herald.client.NotificationListener;
import dev.herald.client.Subscription;
import dev.herald.protocol.Json;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code herald listen [CONTEXT…]}: one line per element change until Ctrl-C, reconnecting
 * and resuming by itself; prints the last seq on exit so a later run can continue with --since.
 */
@Command(name = "listen", mixinStandardHelpOptions = true,
    description = "Print element changes as they commit: herald listen host router --types create,delete")
final class ListenCommand implements Callable<Integer> {
  @Mixin Connection conn;

  @Parameters(arity = "0..*", description = "RelNames to listen to (default: every type)")
  List<String> contexts = List.of();

  @Option(names = "--since", description = "Replay every change after this seq first (from a previous run).")
  Long since;

  @Option(names = "--types", split = ",", description = "Only these event types: create,update,delete,trashed,untrashed,validating,validated.")
  List<String> types = List.of();

  @Option(names = "--json", description = "One JSON object per line.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    HeraldClient c = conn.open();
    String context = contexts.isEmpty() ? "*" : String.join(",", contexts);
    Subscription.Spec spec = Subscription.Spec.of(context).types(types.toArray(String[]::new));
    if (since != null) {
      spec = spec.since(since);
    }
    CountDownLatch done = new CountDownLatch(1);
    DateTimeFormatter hms = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
    Subscription s = c.subscribe(spec, new NotificationListener() {
      @Override
      public void onEvent(Event e) {
        if (json) {
          var o = Json.object().put("type", e.type()).put("element", e.href());
          e.seq().ifPresent(q -> o.put("seq", q));
          System.out.println(Json.write(o));
        } else {
          System.out.println(LocalTime.now().format(hms) + "  " + pad(e.type(), 10) + " "
              + pad(e.elementType(), 16) + " " + e.href()
              + (e.seq().isPresent() ? "  seq=" + e.seq().getAsLong() : ""));
        }
        System.out.flush();
      }

      @Override
      public void onHistoryExpired(long from, long oldest, long head) {
        System.err.println("herald listen: history expired: changes after seq " + from
            + " before seq " + oldest + " are no longer kept; continuing from seq " + head);
      }

      @Override
      public void onState(Subscription.State state, Throwable cause) {
        if (state == Subscription.State.RECONNECTING) {
          System.err.println("herald listen: connection lost (" + (cause == null ? "" : cause.getMessage())
              + "); reconnecting");
        } else if (state == Subscription.State.CONNECTED) {
          System.err.println("herald listen: listening to " + context + " on " + c.base());
        }
      }
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      s.close();
      System.err.println("herald listen: stopped; last seq "
          + (s.lastSeq().isPresent() ? s.lastSeq().getAsLong() + " (continue with --since "
              + s.lastSeq().getAsLong() + ")" : "unknown"));
      done.countDown();
    }));
    done.await();
    return 0;
  }

  private static String pad(String s, int n) {
    return s.length() >= n ? s : s + " ".repeat(n - s.length());
  }
}
