package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The console in a real browser (headless Chromium): log in with the API key, watch a change
 * made by another client arrive in the live table, pause and resume without losing one, open
 * the element, browse a type; and what the server sends with the page.
 */
class ConsoleTest {
  static TestServer server;

  /** A failed test leaves what the page showed under target/console-screenshots/. */
  @org.junit.jupiter.api.extension.RegisterExtension
  static final org.junit.jupiter.api.extension.TestWatcher SCREENSHOT_ON_FAILURE =
      new org.junit.jupiter.api.extension.TestWatcher() {
        @Override
        public void testFailed(org.junit.jupiter.api.extension.ExtensionContext context, Throwable cause) {
          try {
            chrome.screenshot(java.nio.file.Path.of("target", "console-screenshots",
                context.getRequiredTestMethod().getName() + ".png"));
          } catch (Exception e) {
            cause.addSuppressed(e);
          }
        }
      };

  /**
   * With {@code -Dconsole.screenshots=true}, the pictures of docs/console.md are taken again:
   * {@code ./mvnw -o test -pl herald-server -am -Dtest=ConsoleTest -Dconsole.screenshots=true
   * -Dsurefire.failIfNoSpecifiedTests=false}.
   */
  private static void docShot(String name) throws Exception {
    if (Boolean.getBoolean("console.screenshots")) {
      chrome.screenshot(java.nio.file.Path.of("..", "docs", "img", "console-" + name + ".png"));
    }
  }
  static Chrome chrome;

  @BeforeAll
  static void start() throws Exception {
    server = TestServer.start(b -> b.adminApi(true));
    chrome = Chrome.start();
  }

  @AfterAll
  static void stop() throws Exception {
    chrome.close();
    server.close();
  }

  @org.junit.jupiter.api.BeforeEach
  void loggedOut() throws Exception {
    chrome.navigate("about:blank");
    chrome.clearCookies();
  }

  private static String js(String s) {
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  @Test
  void logIn_watchChangesLive_pauseResume_openAndBrowseElements() throws Exception {
    chrome.navigate(server.url() + "/console/");
    chrome.await("document.getElementById('login') && !document.getElementById('login').hidden");
    // a wrong key: the server's message, still on the login form
    chrome.eval("document.getElementById('key').value = 'not-the-key-1234567';"
        + " document.querySelector('#login button[type=submit]').click(); true");
    chrome.await("document.getElementById('login-error').textContent.length > 0");
    chrome.eval("document.getElementById('key').value = " + js(TestServer.API_KEY) + ";"
        + " document.querySelector('#login button[type=submit]').click(); true");
    chrome.await("document.getElementById('feed-state').textContent === 'live'");
    assertThat(chrome.eval("document.getElementById('who').textContent").asText()).isEqualTo("herald");

    SmcClient other = SmcClient.loggedIn(server);
    String h1 = other.create("host", "{\"name\":\"console-h1\",\"address\":\"192.0.2.1\"}");
    chrome.await("[...document.querySelectorAll('#rows td.href')].some(td => td.firstChild.textContent === " + js(h1) + ")");
    String row = chrome.eval("document.querySelector('#rows tr').textContent").asText();
    assertThat(row).contains("create").contains("host");
    // the events/s plot (uPlot, served from its WebJar) counts it
    chrome.await("document.querySelector('#rate canvas') !== null && Number(document.getElementById('rate').dataset.total) >= 1");

    // paused, a change is made; resumed, it arrives (with since: nothing lost)
    chrome.eval("document.getElementById('pause').click(); true");
    chrome.await("document.getElementById('feed-state').textContent.startsWith('paused')");
    String h2 = other.create("host", "{\"name\":\"console-h2\",\"address\":\"192.0.2.2\"}");
    String h3 = other.create("host", "{\"name\":\"console-h3\",\"address\":\"192.0.2.3\"}");
    String h4 = other.create("host", "{\"name\":\"console-h4\",\"address\":\"192.0.2.4\"}");
    assertThat(chrome.eval("[...document.querySelectorAll('#rows td.href')].some(td => td.firstChild.textContent === " + js(h2) + ")")
        .asBoolean()).isFalse();
    chrome.eval("document.getElementById('pause').click(); true");
    chrome.await("[...document.querySelectorAll('#rows td.href')].some(td => td.firstChild.textContent === " + js(h4) + ")");
    // all three, once each, in order (the newest row on top)
    assertThat(chrome.eval("[...document.querySelectorAll('#rows td.href')].map(td => td.firstChild.textContent).join(' ')").asText())
        .isEqualTo(String.join(" ", h4, h3, h2, h1));
    docShot("changes");

    // a click opens the element as it is now
    chrome.eval("[...document.querySelectorAll('#rows td.href a')].find(a => a.textContent === " + js(h1) + ").click(); true");
    chrome.await("document.getElementById('element').textContent.includes('\"address\": \"192.0.2.1\"')");

    // the elements of a type, filtered; a click shows one
    chrome.eval("document.querySelector('nav button[data-tab=elements]').click(); true");
    chrome.eval("document.getElementById('type').value = 'host'; document.getElementById('search').value = 'console-h';"
        + " document.getElementById('search').dispatchEvent(new Event('input')); true");
    chrome.await("[...document.querySelectorAll('#list li')].map(li => li.textContent).sort().join(',')"
        + " === 'console-h1,console-h2,console-h3,console-h4'");
    // what is hidden is not shown (the login form once stayed visible behind a display rule)
    assertThat(chrome.eval("getComputedStyle(document.getElementById('login')).display").asText()).isEqualTo("none");

    // log out: back to the login form, and the session is gone
    chrome.eval("document.getElementById('logout').click(); true");
    chrome.await("!document.getElementById('login').hidden");
    assertThat(chrome.eval("fetch('/7.2/elements/host').then(r => r.status)").asInt()).isEqualTo(401);
  }

  private static void logIn() throws Exception {
    chrome.navigate(server.url() + "/console/");
    chrome.await("document.getElementById('login') && (!document.getElementById('login').hidden"
        + " || document.getElementById('feed-state').textContent === 'live')");
    if (!chrome.eval("document.getElementById('login').hidden").asBoolean()) {
      chrome.eval("document.getElementById('key').value = " + js(TestServer.API_KEY) + ";"
          + " document.querySelector('#login button[type=submit]').click(); true");
    }
    chrome.await("document.getElementById('feed-state').textContent === 'live'");
  }

  private static void click(String id) throws Exception {
    chrome.eval("document.getElementById('" + id + "').click(); true");
  }

  private static void setEditor(String json) throws Exception {
    chrome.eval("document.getElementById('editor').value = " + js(json) + "; true");
  }

  @Test
  void createEditAndDelete_withSmcsErrors_shown() throws Exception {
    logIn();
    chrome.eval("document.querySelector('nav button[data-tab=elements]').click(); document.getElementById('type').value = 'host'; true");
    // create from the editor
    click("new");
    setEditor("{\"name\":\"console-new\",\"address\":\"192.0.2.50\"}");
    click("save");
    chrome.await("document.getElementById('message').textContent === 'Created.'");
    SmcClient other = SmcClient.loggedIn(server);
    String href = other.get("/elements/host?filter=console-new&exact_match=True").json().get("result").get(0).get("href").asText();

    // edit: saved with the ETag of what was shown
    click("edit");
    chrome.eval("const e = document.getElementById('editor'); const j = JSON.parse(e.value); j.comment = 'edited in the console';"
        + " e.value = JSON.stringify(j); true");
    click("save");
    chrome.await("document.getElementById('message').textContent === 'Saved.'");
    assertThat(other.getUrl(href).json().get("comment").asText()).isEqualTo("edited in the console");
    // the edit's update event reaches the live table
    chrome.await("[...document.querySelectorAll('#rows tr')].some(tr => tr.dataset.event === 'update'"
        + " && tr.textContent.includes(" + js(href) + "))");
    // each event opens the element as it left it: the create without the edit, the update with it
    String rowOf = "[...document.querySelectorAll('#rows tr')].find(tr => tr.dataset.event === '%s'"
        + " && tr.textContent.includes(" + js(href) + "))";
    chrome.eval(String.format(rowOf, "create") + ".querySelector('a.was').click(); true");
    chrome.await("document.getElementById('message').textContent.includes('as it was at seq')"
        + " && document.getElementById('message').textContent.includes('create')");
    assertThat(chrome.eval("document.getElementById('element').textContent").asText())
        .contains("192.0.2.50").doesNotContain("edited in the console");
    chrome.eval(String.format(rowOf, "update") + ".querySelector('a.was').click(); true");
    chrome.await("document.getElementById('message').textContent.includes('update')");
    assertThat(chrome.eval("document.getElementById('element').textContent").asText()).contains("edited in the console");
    chrome.eval("[...document.querySelectorAll('#list li')].find(li => li.textContent === 'console-new').click(); true");
    chrome.await("!document.getElementById('edit').hidden && document.getElementById('element').textContent.includes('console-new')");

    // a change made meanwhile by another client: SMC's conflict, nothing overwritten
    click("edit");
    SmcClient.Response now = other.getUrl(href);
    com.fasterxml.jackson.databind.node.ObjectNode changed = (com.fasterxml.jackson.databind.node.ObjectNode) now.json();
    changed.put("comment", "changed elsewhere");
    assertThat(other.put(href, changed.toString(), now.header("ETag")).status()).isEqualTo(200);
    click("save");
    chrome.await("document.getElementById('message').className === 'error'");
    assertThat(chrome.eval("document.getElementById('message').textContent").asText()).contains("Impossible to update");
    assertThat(other.getUrl(href).json().get("comment").asText()).isEqualTo("changed elsewhere");

    // a delete that references block: the server's words; once free, deleted
    String group = other.create("group", "{\"name\":\"console-group\",\"element\":[\"" + href + "\"]}");
    chrome.eval("document.getElementById('cancel').click(); true");
    chrome.await("!document.getElementById('delete').hidden");
    click("delete");
    chrome.await("document.getElementById('message').className === 'error'");
    assertThat(chrome.eval("document.getElementById('message').textContent").asText()).contains("console-group");
    assertThat(other.delete(group, other.getUrl(group).header("ETag")).status()).isEqualTo(204);
    chrome.eval("document.getElementById('list') && true");
    // reopen (fresh ETag) and delete
    chrome.eval("[...document.querySelectorAll('#list li')].find(li => li.textContent === 'console-new').click(); true");
    chrome.await("!document.getElementById('delete').hidden && document.getElementById('element').textContent.includes('console-new')");
    click("delete");
    chrome.await("document.getElementById('message').textContent === 'Deleted.'");
    assertThat(other.getUrl(href).status()).isEqualTo(404);
  }

  @Test
  void newFromTheTypesDefaults_trashAndUntrash_andWhatAnElementHolds() throws Exception {
    logIn();
    chrome.eval("document.querySelector('nav button[data-tab=elements]').click(); document.getElementById('type').value = 'host'; true");
    // New: SMC's defaults and the required fields, from the catalogue through /openapi.json
    click("new");
    chrome.await("document.getElementById('editor').value.includes('\"address\"')");
    com.fasterxml.jackson.databind.JsonNode template = dev.herald.protocol.Json.mapper().readTree(
        chrome.eval("document.getElementById('editor').value").asText());
    assertThat(template.has("name")).isTrue();
    assertThat(template.get("secondary").isArray()).isTrue(); // a default of host
    assertThat(template.get("third_party_monitoring").get("netflow").asBoolean()).isFalse();
    chrome.eval("const e = document.getElementById('editor'); const j = JSON.parse(e.value); j.name = 'console-trash';"
        + " j.address = '192.0.2.60'; e.value = JSON.stringify(j); true");
    click("save");
    chrome.await("document.getElementById('message').textContent === 'Created.'");
    SmcClient other = SmcClient.loggedIn(server);
    String href = other.get("/elements/host?filter=console-trash&exact_match=True").json().get("result").get(0).get("href").asText();

    // trash and untrash: SMC's links, their events in the live table
    assertThat(chrome.eval("document.getElementById('untrash').hidden").asBoolean()).isTrue();
    click("trash");
    chrome.await("document.getElementById('message').textContent === 'Trashed.'");
    // once trashed, the element offers untrash only (its own links say so)
    assertThat(chrome.eval("document.getElementById('trash').hidden").asBoolean()).isTrue();
    click("untrash");
    chrome.await("document.getElementById('message').textContent === 'Untrashed.'");
    assertThat(chrome.eval("document.getElementById('untrash').hidden").asBoolean()).isTrue();
    String rowsOf = "[...document.querySelectorAll('#rows tr')].filter(tr => tr.textContent.includes(" + js(href) + "))"
        + ".map(tr => tr.children[2].textContent)";
    chrome.await(rowsOf + ".includes('trashed') && " + rowsOf + ".includes('untrashed')");

    // a policy shows its rules in their order, each one opens
    String template0 = other.get("/elements/fw_template_policy?filter=Firewall%20Inspection%20Template&exact_match=True")
        .json().get("result").get(0).get("href").asText();
    String policy = other.create("fw_policy", "{\"name\":\"console-policy\",\"template\":\"" + template0 + "\"}");
    for (String name : new String[] {"rule-b", "rule-a"}) { // each added at the top
      assertThat(other.postUrl(policy + "/fw_ipv4_access_rule", "{\"name\":\"" + name + "\",\"sources\":{\"any\":true},"
          + "\"destinations\":{\"any\":true},\"services\":{\"any\":true},\"action\":{\"action\":[\"allow\"]}}").status())
          .isEqualTo(201);
    }
    java.util.List<String> order = new java.util.ArrayList<>();
    other.getUrl(policy + "/fw_ipv4_access_rule").json().get("result").forEach(r -> order.add(r.get("name").asText()));
    assertThat(order).containsExactly("rule-a", "rule-b");
    open("fw_policy", "console-policy");
    String listed = "[...document.querySelectorAll('#related ol[data-rel=fw_ipv4_access_rules] li')].map(li => li.textContent).join(',')";
    chrome.await(listed + " === 'rule-a,rule-b'");
    docShot("elements");
    chrome.eval("document.querySelector('#related ol[data-rel=fw_ipv4_access_rules] li a').click(); true");
    chrome.await("document.getElementById('element').textContent.includes('\"name\": \"rule-a\"')");

    // an engine shows its nodes
    String engine = EnginesTest.createSingleFw(other, "console-holds");
    open("single_fw", "console-holds");
    chrome.await("document.querySelectorAll('#related ol[data-rel=nodes] li').length === 1");
    assertThat(engine).contains("/elements/single_fw/");
  }

  /** Opens an element the way a user does: its type, its name in the filter, a click. */
  private static void open(String type, String name) throws Exception {
    chrome.eval("document.getElementById('type').value = " + js(type) + "; document.getElementById('search').value = "
        + js(name) + "; document.getElementById('search').dispatchEvent(new Event('input')); true");
    String item = "[...document.querySelectorAll('#list li')].find(li => li.textContent === " + js(name) + ")";
    chrome.await(item + " !== undefined");
    chrome.eval(item + ".click(); true");
    chrome.await("document.getElementById('element').textContent.includes(" + js("\"name\": \"" + name + "\"") + ")");
  }

  @Test
  void theStatusBoard_followsTheStatusSocket_andDrivesTheSimulation() throws Exception {
    SmcClient other = SmcClient.loggedIn(server);
    String engine = EnginesTest.createSingleFw(other, "console-fw");
    String node = other.getUrl(engine).json().get("nodes").get(0).get("firewall_node").get("link").get(0).get("href").asText();
    logIn();
    chrome.eval("document.querySelector('nav button[data-tab=status]').click(); true");
    String nodeRow = "[...document.querySelectorAll('#engines tr.node')].find(tr => tr.dataset.href === " + js(node) + ")";
    chrome.await(nodeRow + " && " + nodeRow + ".children[3].textContent === 'Unknown'");
    chrome.await("document.getElementById('status-state').textContent === 'live'");
    // another client makes initial contact: the board follows, live
    assertThat(other.postUrl(node + "/initial_contact", "{}").status()).isEqualTo(200);
    chrome.await(nodeRow + " && " + nodeRow + ".children[3].textContent === 'No Policy Installed'");
    // the simulation controls (a superuser on a server with the admin API)
    chrome.eval(nodeRow + ".querySelector('button[data-simulate=Offline]').click(); true");
    chrome.await(nodeRow + " && " + nodeRow + ".children[3].textContent === 'Offline'");
    assertThat(other.getUrl(node + "/status").json().get("engine_node_status").asText()).isEqualTo("Offline");
    String engineRow = "[...document.querySelectorAll('#engines tr.engine')].find(tr => tr.dataset.href === " + js(engine) + ")";
    assertThat(chrome.eval(engineRow + ".children[1].textContent").asText()).isEqualTo("WARNING");
    docShot("status");
    // and back
    chrome.eval(nodeRow + ".querySelector('button[data-simulate=Online]').click(); true");
    chrome.await(nodeRow + " && " + nodeRow + ".children[3].textContent !== 'Offline'");
    assertThat(other.getUrl(node + "/status").json().get("engine_node_status").asText()).isNotEqualTo("Offline");
  }

  @Test
  void theStatusBoard_showsVpnsAndTheirTunnels_andANodesHealthOverTime() throws Exception {
    SmcClient other = SmcClient.loggedIn(server);
    String engine = EnginesTest.createSingleFw(other, "console-gw");
    String gateway = other.getUrl(engine + "/internal_gateway").json().get("result").get(0).get("href").asText();
    String partner = other.create("external_gateway", "{\"name\":\"console-partner\"}");
    String vpn = other.create("vpn", "{\"name\":\"console-vpn\"}");
    assertThat(other.postUrl(vpn + "/central_gateway_node", "{\"gateway\":\"" + gateway + "\",\"node_usage\":\"central\"}")
        .status()).isEqualTo(201);
    assertThat(other.postUrl(vpn + "/satellite_gateway_node", "{\"gateway\":\"" + partner + "\",\"node_usage\":\"satellite\"}")
        .status()).isEqualTo(201);
    String tunnel = other.getUrl(vpn + "/gateway_tunnel").json().get("result").get(0).get("href").asText();
    logIn();
    chrome.eval("document.querySelector('nav button[data-tab=status]').click(); true");
    String vpnRow = "[...document.querySelectorAll('#vpns tr.vpn')].find(tr => tr.dataset.href === " + js(vpn) + ")";
    String tunnelRow = "[...document.querySelectorAll('#vpns tr.tunnel')].find(tr => tr.dataset.href === " + js(tunnel) + ")";
    chrome.await(tunnelRow + " && " + tunnelRow + ".children[1].textContent === 'UNKNOWN'"); // no engine made contact
    chrome.await("document.getElementById('status-state').textContent === 'live'");
    // the Management Server and Log Server: this Herald answers for them
    chrome.await("document.querySelectorAll('#servers tr.server').length === 2");
    assertThat(chrome.eval("[...document.querySelectorAll('#servers tr.server')].every(tr => tr.children[1].textContent === 'OK'"
        + " && tr.children[3].textContent.includes('MB used'))").asBoolean()).isTrue();
    // a superuser degrades the tunnel: the board follows the status socket
    chrome.eval(tunnelRow + ".querySelector('button[data-simulate=Degrade]').click(); true");
    chrome.await(tunnelRow + " && " + tunnelRow + ".children[1].textContent === 'WARNING' && "
        + tunnelRow + ".children[4].textContent === '450'");
    chrome.await(vpnRow + " && " + vpnRow + ".children[1].textContent === 'WARNING'");
    assertThat(other.post("/monitoring_status", "{\"value\":\"" + tunnel + "\"}").json().get("monitoring_status").asText())
        .isEqualTo("WARNING");

    // a node's health over time: CPU, memory and disk from its appliance status, plotted as they move
    String node = other.getUrl(engine).json().get("nodes").get(0).get("firewall_node").get("link").get(0).get("href").asText();
    assertThat(other.postUrl(node + "/initial_contact", "{}").status()).isEqualTo(200);
    String nodeRow = "[...document.querySelectorAll('#engines tr.node')].find(tr => tr.dataset.href === " + js(node) + ")";
    chrome.await(nodeRow + " && " + nodeRow + ".children[3].textContent === 'No Policy Installed'");
    chrome.eval(nodeRow + ".querySelector('button').click(); true"); // its Health button
    chrome.await("Number(document.getElementById('health-plot').dataset.samples || 0) >= 2");
    assertThat(chrome.eval("Number(document.getElementById('health-plot').dataset.cpu)").asDouble()).isBetween(0.0, 100.0);
    assertThat(chrome.eval("document.querySelectorAll('#health-plot canvas').length").asInt()).isPositive();
    assertThat(chrome.eval("document.getElementById('health-title').textContent").asText()).contains("console-gw node 1");
    docShot("status-vpn");

    // and restored
    chrome.eval(tunnelRow + ".querySelector('button[data-simulate=Restore]').click(); true");
    chrome.await(tunnelRow + " && " + tunnelRow + ".children[1].textContent !== 'WARNING'");
  }

  @Test
  void theApiExplorer_showsTheOpenApiDescription_fromItsWebJar() throws Exception {
    logIn();
    chrome.eval("document.getElementById('explorer').click(); true");
    chrome.await("location.pathname === '/console/api.html'");
    chrome.await("document.querySelector('.swagger-ui .info .title') !== null");
    assertThat(chrome.eval("document.querySelector('.swagger-ui .info .title').textContent").asText())
        .contains("Herald");
    chrome.await("document.querySelectorAll('.swagger-ui .opblock-tag-section, .swagger-ui .opblock').length > 0");
    docShot("api-explorer");
  }

  @Test
  void operations_plotTheNodesFiguresLive() throws Exception {
    logIn();
    chrome.eval("document.querySelector('nav button[data-tab=ops]').click(); true");
    chrome.await("document.getElementById('ops-ready').textContent === 'ready'");
    long frames = chrome.eval("Number(document.getElementById('ops').dataset.frames || 0)").asLong();
    SmcClient other = SmcClient.loggedIn(server);
    other.create("host", "{\"name\":\"ops-plot\",\"address\":\"192.0.2.70\"}"); // reaches the console's own socket
    chrome.await("Number(document.getElementById('ops').dataset.frames) > " + frames
        + " && Number(document.getElementById('ops').dataset.samples) >= 2"
        + " && document.querySelectorAll('#ops-rates canvas, #ops-sockets-plot canvas').length === 2");
    assertThat(chrome.eval("Number(document.getElementById('ops-sockets').textContent)").asLong()).isGreaterThanOrEqualTo(1);
    docShot("operations");
  }

  /**
   * A page of another origin, opened in the browser that is logged in to the console (its
   * cookie is there: 127.0.0.1 on another port is the same site), tries a form post and a
   * fetch with credentials: the server refuses both (their Origin), and nothing is created.
   */
  @Test
  void aCrossSiteFormPost_andACrossOriginFetch_changeNothing() throws Exception {
    logIn();
    String target = server.url() + "/7.2/elements/host";
    String page = "<!doctype html><html><body>"
        + "<form id=f method=post enctype=text/plain action='" + target + "'>"
        + "<input name='{\"name\":\"evil-form\",\"address\":\"192.0.2.66\",\"x\":\"' value='\"}'></form>"
        + "<script>"
        + "fetch('" + target + "', {method: 'POST', credentials: 'include', mode: 'no-cors',"
        + " headers: {'Content-Type': 'text/plain'}, body: JSON.stringify({name: 'evil-fetch', address: '192.0.2.67'})})"
        + ".finally(() => { document.title = 'fetched'; document.getElementById('f').submit(); });"
        + "</script></body></html>";
    com.sun.net.httpserver.HttpServer evil = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    evil.createContext("/", x -> {
      byte[] b = page.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      x.getResponseHeaders().add("Content-Type", "text/html; charset=utf-8");
      x.sendResponseHeaders(200, b.length);
      x.getResponseBody().write(b);
      x.close();
    });
    evil.start();
    try {
      chrome.navigate("http://127.0.0.1:" + evil.getAddress().getPort() + "/");
      // the form has posted once the browser left the evil page for the server's answer
      chrome.await("location.port === '" + server.server().port() + "'");
      assertThat(chrome.eval("document.body.textContent").asText()).contains("Origin");
    } finally {
      evil.stop(0);
    }
    SmcClient other = SmcClient.loggedIn(server);
    for (String name : new String[] {"evil-form", "evil-fetch"}) {
      assertThat(other.get("/elements/host?filter=" + name).json().get("result")).as(name).isEmpty();
    }
  }

  @Test
  void thePage_forbidsInlineScriptAndFraming_andServesOnlyItsFiles() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(server.url() + "/console/")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow())
        .contains("script-src 'self'").doesNotContain("unsafe-inline").contains("frame-ancestors 'none'");
    assertThat(page.body()).doesNotContainPattern("<script(?![^>]*\\bsrc=)"); // no inline script
    HttpResponse<String> bare = http.send(HttpRequest.newBuilder(URI.create(server.url() + "/console")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(bare.statusCode()).isEqualTo(302);
    for (String served : new String[] {"/console/swagger-ui-bundle.js", "/console/uPlot.iife.min.js", "/console/api.html"}) {
      HttpResponse<String> f = http.send(HttpRequest.newBuilder(URI.create(server.url() + served)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(f.statusCode()).as(served).isEqualTo(200);
      assertThat(f.headers().firstValue("Content-Security-Policy")).as(served).isPresent();
    }
    for (String bad : new String[] {"/console/..%2Fcatalogue.json", "/console/secret.txt", "/console/console.js.map",
        "/console/swagger-ui.js", "/console/swagger-initializer.js", "/console/index.css"}) {
      assertThat(http.send(HttpRequest.newBuilder(URI.create(server.url() + bad)).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode()).as(bad).isIn(400, 404); // Jetty refuses an encoded / itself
    }
    try (TestServer without = TestServer.start(b -> b.console(false))) {
      assertThat(http.send(HttpRequest.newBuilder(URI.create(without.url() + "/console/")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
    }
  }
}
