package dev.herald.cli;

import dev.herald.client.Event;
import dev.herald.client.HeraldClient;
import dev.herald.client.NotificationListener;
import dev.herald.client.Subscription;
import dev.herald.protocol.Json;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code herald listen [CONTEXT…]}: one line per element change until Ctrl-C, reconnecting
 * and resuming by itself; prints the last seq on exit so a later run can continue with --since.
 */
@Command(name = "listen", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
    description = {"Print element changes as they commit, e.g. herald listen host router --types create,delete",
        "Reconnects and resumes by itself after a disconnect or a server restart, losing nothing."},
    footer = {"", "Exit codes: 0 stopped (Ctrl-C), 1 the server refused the subscription (the reason is"
        + " printed), 2 usage error, 3 server unreachable, 4 login refused, 5 changes were lost: the"
        + " server no longer has the history to resume from (or is not the server the position came"
        + " from); --allow-gap continues from the newest change instead."})
final class ListenCommand implements Callable<Integer> {
  @Mixin Connection conn;

  @Parameters(arity = "0..*", paramLabel = "TYPE",
      description = "Element types (RelNames, e.g. host) or contexts (e.g. network_elements) to listen to; default: every type.")
  List<String> contexts = List.of();

  @Option(names = "--since", paramLabel = "SEQ",
      description = "Replay every change after this seq first (the last seq a previous run printed).")
  Long since;

  @Option(names = "--types", split = ",", paramLabel = "EVENT",
      description = "Only these event types: create,update,delete,trashed,untrashed,validating,validated.")
  List<String> types = List.of();

  @Option(names = "--json", description = "One JSON object per line (type, element, seq, at).")
  boolean json;

  @Option(names = "--allow-gap",
      description = "When changes were lost (history expired), say so and continue from the newest change instead of exiting with 5.")
  boolean allowGap;

  @Override
  public Integer call() throws Exception {
    if (since != null && since < 0) {
      throw new CliException(Connection.USAGE, "--since must be 0 or more (a seq printed by a previous run); got " + since);
    }
    String context = contexts.isEmpty() ? "*" : String.join(",", contexts);
    Subscription.Spec spec = Subscription.Spec.of(context).types(types.toArray(String[]::new));
    if (since != null) {
      spec = spec.since(since);
    }
    spec.validate(); // a usage error before connecting
    HeraldClient c = conn.open();
    CountDownLatch done = new CountDownLatch(1);
    AtomicInteger exit = new AtomicInteger(Connection.OK);
    DateTimeFormatter hms = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());
    Subscription s = c.subscribe(spec, new NotificationListener() {
      @Override
      public void onEvent(Event e) {
        if (json) {
          var o = Json.object().put("type", e.type()).put("element", e.href());
          e.seq().ifPresent(q -> o.put("seq", q));
          e.committedAt().ifPresent(at -> o.put("at", at.toString()));
          System.out.println(Json.write(o));
        } else {
          // the commit time when the server says it (Herald), else the time it arrived
          Instant at = e.committedAt().orElseGet(Instant::now);
          System.out.println(hms.format(at) + "  " + pad(e.type(), 10) + " "
              + pad(e.elementType(), 16) + " " + e.href()
              + (e.seq().isPresent() ? "  seq=" + e.seq().getAsLong() : ""));
        }
        System.out.flush();
      }

      @Override
      public void onHistoryExpired(long from, long oldest, long head) {
        System.err.println("herald listen: CHANGES LOST: the server no longer has the changes after seq "
            + from + (oldest > head ? " (it is not the server that position came from, or its data was reset)"
            : " (it keeps seq " + oldest + " onwards)") + ".");
        if (allowGap) {
          System.err.println("herald listen: continuing from seq " + head + " (--allow-gap); re-read the state you need.");
        } else {
          System.err.println("herald listen: stopping with exit code 5; re-read the state you need, then"
              + " listen again (or use --allow-gap to continue past a gap).");
          exit.set(Connection.HISTORY_LOST);
          done.countDown();
        }
      }

      @Override
      public void onState(Subscription.State state, Throwable cause) {
        if (state == Subscription.State.RECONNECTING) {
          System.err.println("herald listen: connection lost (" + (cause == null ? "" : cause.getMessage())
              + "); reconnecting");
        } else if (state == Subscription.State.CONNECTED) {
          System.err.println("herald listen: listening to " + context + " on " + c.base());
        } else if (state == Subscription.State.CLOSED && cause != null) {
          System.err.println("herald listen: the server refused the resumed subscription: " + cause.getMessage());
          exit.set(Connection.API_ERROR);
          done.countDown();
        }
      }
    });
    Thread hook = new Thread(() -> {
      s.close();
      System.err.println("herald listen: stopped; last seq "
          + (s.lastSeq().isPresent() ? s.lastSeq().getAsLong() + " (continue with --since "
              + s.lastSeq().getAsLong() + ")" : "unknown (the server numbers no changes)"));
      done.countDown();
    });
    Runtime.getRuntime().addShutdownHook(hook);
    done.await();
    return exit.get();
  }

  private static String pad(String s, int n) {
    return s.length() >= n ? s : s + " ".repeat(n - s.length());
  }
}
