package dev.herald.client;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;

/** The narrow view of its client that a subscription needs. */
interface SocketSession {
  HttpClient http();

  /** The notification socket URL. */
  URI socketUri();

  /** The current session cookie ({@code JSESSIONID=…}). */
  String cookie();

  /** Logs in again (the session ended); failures are the caller's to handle. */
  void relogin();

  /** How long to wait for a connection or an answer. */
  Duration timeout();

  /** A subscription closed: forget it. */
  void closed(RealSubscription s);
}
