package dev.herald.server.task;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.element.Caller;
import dev.herald.server.store.TaskStore;
import dev.herald.server.store.TaskStore.TaskRow;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SMC's asynchronous operations: a call that starts one answers with the task's JSON at once
 * ({@code in_progress: true}, a {@code follower} href to poll, {@code abort} and, once done,
 * {@code result} links), the work runs on a virtual thread of the node that took the call, and
 * its state lives in the database, so any node answers the follower. A domain sees its own tasks.
 *
 * <p>At most {@code maxRunning} tasks run on a node at once; another start is a 503 to retry. A
 * task still running 15 minutes after it started when a node starts is ended as failed (the node
 * that ran it stopped); finished tasks are kept a day.
 */
public final class Tasks {
  private static final Logger LOG = LoggerFactory.getLogger(Tasks.class);
  private static final long STALE_MS = 15 * 60_000L;
  private static final long KEEP_MS = 24 * 3_600_000L;

  /** What a task does; it checks {@link Context#checkAbort()} between steps. */
  @FunctionalInterface
  public interface Work {
    Outcome run(Context context) throws Exception;
  }

  /** What a running task can tell and ask. */
  public interface Context {
    void progress(int percent, String message);

    /** @throws Aborted when the task was asked to stop */
    void checkAbort();
  }

  /**
   * A successful end: its message, and the file it made ({@code resultType} null when none).
   */
  public record Outcome(String message, String resultType, byte[] result) {
    public static Outcome of(String message) {
      return new Outcome(message, null, null);
    }
  }

  /** A task that cannot do what it was asked: its message is the task's last_message. */
  public static final class Failed extends RuntimeException {
    public Failed(String message) {
      super(message);
    }
  }

  /** Thrown by {@link Context#checkAbort()} once a task was asked to stop. */
  public static final class Aborted extends RuntimeException {
    Aborted() {
      super("Task aborted.", null, false, false);
    }
  }

  private final TaskStore store;
  private final LongSupplier ids;
  private final InstantSource clock;
  private final Semaphore running;
  private final int maxRunning;

  public Tasks(TaskStore store, LongSupplier ids, InstantSource clock, int maxRunning) {
    this.store = store;
    this.ids = ids;
    this.clock = clock;
    this.running = new Semaphore(maxRunning);
    this.maxRunning = maxRunning;
    long now = clock.millis();
    store.sweep(now - STALE_MS, now - KEEP_MS, now, "The server running this task stopped before it ended.");
  }

  /**
   * Starts a task; returns its state (in progress) at once.
   *
   * @param resources the element paths it concerns ({@code /elements/TYPE/KEY})
   */
  public TaskRow start(Caller caller, String type, List<String> resources, Work work) {
    if (!running.tryAcquire()) {
      throw new HeraldException(503, "Too many tasks are running.",
          List.of("Retry when one has ended (the limit is " + maxRunning + " on this server at once)."), null)
          .header("Retry-After", "5");
    }
    long id = ids.getAsLong();
    long now = clock.millis();
    ArrayNode res = Json.mapper().createArrayNode();
    resources.forEach(res::add);
    TaskRow row = new TaskRow(id, caller.domainKey(), caller.userKey(), type, true, false, 0,
        "Task started.", false, now, Optional.empty(), res.toString(), Optional.empty());
    try {
      store.insert(row);
      store.sweep(0, now - KEEP_MS, now, "");
    } catch (RuntimeException e) {
      running.release();
      throw e;
    }
    Thread.ofVirtual().name("herald-task-" + id).start(() -> run(row, work));
    return row;
  }

  private void run(TaskRow row, Work work) {
    long id = row.id();
    Context ctx = new Context() {
      @Override
      public void progress(int percent, String message) {
        store.progress(id, Math.max(0, Math.min(99, percent)), message);
      }

      @Override
      public void checkAbort() {
        if (store.find(id).map(TaskRow::abortRequested).orElse(true)) {
          throw new Aborted();
        }
      }
    };
    try {
      Outcome o = work.run(ctx);
      store.finish(id, true, o.message(), clock.millis(), o.resultType(), o.result());
    } catch (Aborted a) {
      store.finish(id, false, "Task aborted.", clock.millis(), null, null);
    } catch (Failed | HeraldException f) {
      store.finish(id, false, describe(f), clock.millis(), null, null);
    } catch (Throwable t) {
      LOG.warn("task {} ({}) failed", id, row.type(), t);
      try {
        store.finish(id, false, "The task failed: " + t, clock.millis(), null, null);
      } catch (RuntimeException e) {
        LOG.warn("task {} could not be marked as failed", id, e);
      }
    } finally {
      running.release();
    }
  }

  private static String describe(RuntimeException e) {
    if (e instanceof HeraldException h && !h.details().isEmpty()) {
      return h.getMessage() + " " + String.join(" ", h.details());
    }
    return e.getMessage();
  }

  /** A task of the caller's domain. */
  public TaskRow get(Caller caller, long id) {
    return store.find(id).filter(t -> t.domainKey() == caller.domainKey())
        .orElseThrow(() -> HeraldException.notFound("Task " + id + " not found.",
            "Tasks are kept a day after they end; GET task_progress lists them."));
  }

  public List<TaskRow> list(Caller caller) {
    return store.list(caller.domainKey(), 1000);
  }

  /** Asks a task to stop (nothing when it has ended). */
  public void abort(Caller caller, long id) {
    get(caller, id);
    store.requestAbort(id);
  }

  /** The file a finished task made. */
  public byte[] result(Caller caller, long id) {
    TaskRow t = get(caller, id);
    if (t.inProgress()) {
      throw HeraldException.badRequest("Task " + id + " is not finished.", "Poll its follower until in_progress is false.");
    }
    return store.result(id).orElseThrow(() -> HeraldException.notFound("Task " + id + " has no result.",
        t.success() ? "This kind of task makes no file." : "The task failed: " + t.lastMessage()));
  }

  /** The task's href (its follower). */
  public static String href(String base, long id) {
    return base + "/elements/task_progress/" + id;
  }

  /** A task as SMC answers it and smc-python's TaskOperationPoller reads it. */
  public static ObjectNode json(TaskRow t, String base) {
    String self = href(base, t.id());
    ObjectNode o = Json.object();
    o.put("type", t.type());
    o.put("follower", self);
    o.put("in_progress", t.inProgress());
    o.put("success", t.success());
    o.put("progress", t.progress());
    o.put("last_message", t.lastMessage());
    o.put("waiting_inputs", false);
    o.put("start_time", t.startMs());
    t.endMs().ifPresent(e -> o.put("end_time", e));
    ArrayNode res = o.putArray("resource");
    try {
      Json.mapper().readTree(t.resources()).forEach(r -> res.add(base + r.asText()));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("task " + t.id() + " has unreadable resources", e);
    }
    ArrayNode link = o.putArray("link");
    link.addObject().put("rel", "self").put("href", self).put("type", "task_progress");
    link.addObject().put("rel", "abort").put("href", self + "/abort");
    if (t.resultType().isPresent()) {
      link.addObject().put("rel", "result").put("href", self + "/result");
    }
    return o;
  }

  /** A task in a list: exactly name, href, type. */
  public static ObjectNode meta(TaskRow t, String base) {
    return Json.object().put("name", t.type() + " " + t.id()).put("href", href(base, t.id())).put("type", "task_progress");
  }
}
