package dev.herald.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.server.session.Session;
import java.io.OutputStream;
import java.util.function.Predicate;

/** What Herald's admin API ({@code /herald/admin/}) does to the server as a whole. */
public interface AdminControl {
  /** Back to the fresh state; {@code keepUsers}: users, roles, domains and their keys stay. */
  ObjectNode reset(boolean keepUsers);

  /** Writes the state as a snapshot file. */
  void saveSnapshot(OutputStream out);

  /** Replaces the state by a snapshot (400 and nothing changed when it is not a valid one). */
  ObjectNode loadSnapshot(JsonNode snapshot);

  /** Closes the notification sockets whose session {@code which} accepts. */
  int closeSockets(Predicate<Session> which, int code, String reason);

  /** Holds the change feed for this long: events arrive late, in order, none lost. */
  void stallFeed(long millis);

  /**
   * Sets the simulated status of an engine node or a VPN tunnel ({@code href}) for a test, for
   * {@code forMs} ms (0: until changed); returns its status.
   */
  com.fasterxml.jackson.databind.node.ObjectNode simulate(dev.herald.server.element.Caller caller, String href,
      JsonNode spec, long forMs, String base);

  /**
   * Starts a scenario: simulation steps at their times ({@code {"name", "steps": [{"after_ms",
   * "element", …simulate fields}]}}), every step checked first (400, nothing started).
   */
  ObjectNode startScenario(dev.herald.server.element.Caller caller, JsonNode spec, String base);

  /** The scenarios started on this node, the running ones and the last ended. */
  ObjectNode scenarios();

  /** One scenario (404 when there is none). */
  ObjectNode scenario(long id);

  /** Cancels a scenario's steps still to come. */
  ObjectNode cancelScenario(long id);

  /** Makes the database look unreachable for this long. */
  void databaseOutage(long millis);
}
