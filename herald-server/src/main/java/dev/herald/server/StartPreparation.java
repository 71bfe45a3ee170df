package dev.herald.server;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The work every start needs whatever its settings, begun on another thread (the second core)
 * while the first parses its arguments and builds the server: the class path's jars opened (the
 * first lookup of a resource or a missing class opens every one, about 0.1 s), the catalogue read
 * (about 0.13 s) and the JDK's list of locales, which Jetty's MIME tables read (about 0.1 s).
 * (docs/benchmarks-notes.md, "Launch to first answer")
 *
 * <p>Nothing here may touch logging: SLF4J hands a thread that asks for a logger while another
 * initialises it a stand-in, which {@code herald serve --log-level} cannot set. The classes'
 * own initialisation makes a start that needs them wait for this thread, and a failure surfaces
 * there as it would have.
 */
public final class StartPreparation {
  private static final AtomicBoolean BEGUN = new AtomicBoolean();

  private StartPreparation() {}

  /** Begins the work, once per JVM; {@code herald serve} calls it first, a start calls it too. */
  public static void begin() {
    if (BEGUN.compareAndSet(false, true)) {
      Thread.ofPlatform().name("herald-prepare").daemon(true).start(() -> {
        try {
          // a name no jar holds: every jar is opened to look
          var none = StartPreparation.class.getClassLoader().getResources("dev/herald/server/none");
          while (none.hasMoreElements()) {
            none.nextElement();
          }
        } catch (java.io.IOException e) {
          // the start's own lookups report it
        }
        dev.herald.server.element.Catalogue.get();
        Locale.getAvailableLocales();
      });
    }
  }
}
