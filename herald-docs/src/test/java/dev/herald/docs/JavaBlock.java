package dev.herald.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;
import org.junit.platform.engine.discovery.DiscoverySelectors;

/**
 * Compiles and runs a Java block of the documentation, with the imports a user of the SDK has.
 * A block that declares a class is a JUnit test class: it runs with the JUnit launcher and every
 * test in it must pass. Any other block is a method body with {@code url} and {@code key} in
 * scope (the text around it says so); it runs against the test server and must print something.
 */
final class JavaBlock {
  static final String IMPORTS = String.join("\n",
      "import dev.herald.client.*;",
      "import dev.herald.protocol.Json;",
      "import dev.herald.testing.HeraldExtension;",
      "import java.util.*;",
      "import java.util.concurrent.*;",
      "import org.junit.jupiter.api.Test;",
      "import org.junit.jupiter.api.extension.RegisterExtension;",
      "import static org.junit.jupiter.api.Assertions.*;", "");
  private static final Pattern CLASS = Pattern.compile("(?m)^\\s*(?:public\\s+)?(?:final\\s+)?class\\s+(\\w+)");

  private JavaBlock() {}

  static void run(CodeBlock block, DocServer server, Path dir) throws Exception {
    Matcher m = CLASS.matcher(block.text());
    boolean isClass = m.find();
    String className = isClass ? m.group(1) : "DocSnippet";
    String source = isClass ? IMPORTS + block.text()
        : IMPORTS + "public class DocSnippet {\n  public static void run(String url, String key) throws Exception {\n"
            + block.text() + "  }\n}\n";
    Path src = dir.resolve(className + ".java");
    Files.writeString(src, source);
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    StringWriter diagnostics = new StringWriter();
    boolean ok = javac.getTask(diagnostics, null, null,
        List.of("-classpath", System.getProperty("java.class.path"), "-d", dir.toString(), "-proc:none"),
        null, javac.getStandardFileManager(null, null, null).getJavaFileObjects(src)).call();
    assertThat(ok).as("%s compiles:%n%s", block.where(), diagnostics).isTrue();
    try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()},
        JavaBlock.class.getClassLoader())) {
      Class<?> c = loader.loadClass(className);
      if (isClass) {
        runTests(block, c);
      } else {
        runSnippet(block, c, server);
      }
    }
  }

  private static void runTests(CodeBlock block, Class<?> c) {
    Launcher launcher = LauncherFactory.create();
    LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
        .selectors(DiscoverySelectors.selectClass(c)).build();
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    launcher.execute(request, listener);
    TestExecutionSummary s = listener.getSummary();
    StringWriter failures = new StringWriter();
    s.printFailuresTo(new java.io.PrintWriter(failures), 20);
    assertThat(s.getTestsFoundCount()).as("%s: tests found", block.where()).isPositive();
    assertThat(s.getTestsSucceededCount()).as("%s: every test passes%n%s", block.where(), failures)
        .isEqualTo(s.getTestsFoundCount());
  }

  private static void runSnippet(CodeBlock block, Class<?> c, DocServer server) throws Exception {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      c.getMethod("run", String.class, String.class).invoke(null, server.url(), DocServer.API_KEY);
    } catch (InvocationTargetException e) {
      throw new AssertionError(block.where() + " failed: " + e.getCause(), e.getCause());
    } finally {
      System.setOut(original);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    original.println(block.where() + " printed: " + out);
    assertThat(out).as("%s prints what it shows", block.where()).isNotBlank();
  }
}
