package io.clickstream.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A real headless Chromium driven over the Chrome DevTools Protocol: one browser process with a
 * fresh profile, tabs that evaluate JavaScript, click and type with real input events, scroll,
 * resize and take screenshots. Written against the protocol directly (one WebSocket, sessions
 * flattened) because the usual drivers download their own browser, which this network refuses;
 * this one runs Debian's {@code chromium} (or the executable named by {@code CHROMIUM_BIN}).
 */
public final class Chromium implements AutoCloseable {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration ELEMENT_TIMEOUT = Duration.ofSeconds(10);
    private static final List<String> CANDIDATES = List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome");

    private final Process process;
    private final Path profile;
    private final WebSocket socket;
    private final AtomicLong nextId = new AtomicLong();
    private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final int width;
    private final int height;

    private Chromium(Process process, Path profile, WebSocket.Builder builder, URI endpoint, int width, int height) {
        this.process = process;
        this.profile = profile;
        this.width = width;
        this.height = height;
        this.socket = builder.buildAsync(endpoint, new Listener()).join();
    }

    /** The Chromium executable, or null when none is installed. */
    public static Path executable() {
        String configured = System.getenv("CHROMIUM_BIN");
        if (configured != null && !configured.isBlank()) {
            return Files.isExecutable(Path.of(configured)) ? Path.of(configured) : null;
        }
        return CANDIDATES.stream().map(Path::of).filter(Files::isExecutable).findFirst().orElse(null);
    }

    /** Starts a headless browser whose tabs have a {@code width} x {@code height} viewport. */
    public static Chromium start(int width, int height) throws IOException, InterruptedException {
        Path executable = executable();
        if (executable == null) {
            throw new IllegalStateException("no Chromium found (apt-get install chromium, or set CHROMIUM_BIN)");
        }
        Path profile = Files.createTempDirectory("chromium-profile-");
        // The flags keep the browser off the network it cannot reach (STACK.md) and let a test
        // start media without a user gesture.
        List<String> command = List.of(executable.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--no-default-browser-check", "--disable-dev-shm-usage", "--mute-audio", "--autoplay-policy=no-user-gesture-required",
                "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--remote-allow-origins=*",
                "--window-size=" + width + "," + height, "--user-data-dir=" + profile, "about:blank");
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(profile.resolveSibling(profile.getFileName() + ".log").toFile()).start();
        // Chromium writes the port it chose, then the browser's WebSocket path, into this file.
        Path activePort = profile.resolve("DevToolsActivePort");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!(Files.exists(activePort) && Files.readAllLines(activePort).size() >= 2)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroyForcibly();
                String log = Files.readString(profile.resolveSibling(profile.getFileName() + ".log"));
                throw new IllegalStateException("Chromium did not open its DevTools port: " + log);
            }
            Thread.sleep(100);
        }
        List<String> lines = Files.readAllLines(activePort);
        URI endpoint = URI.create("ws://127.0.0.1:" + lines.get(0).trim() + lines.get(1).trim());
        WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        return new Chromium(process, profile, builder, endpoint, width, height);
    }

    /** Opens {@code url} in a new tab. */
    public Tab open(String url) {
        String targetId = send(null, "Target.createTarget", Map.of("url", "about:blank"))
                .path("targetId").asText();
        String sessionId = send(null, "Target.attachToTarget", Map.of("targetId", targetId, "flatten", true)).path("sessionId").asText();
        Tab tab = new Tab(targetId, sessionId);
        tab.setViewport(width, height, false);
        tab.navigate(url);
        return tab;
    }

    @Override
    public void close() {
        try {
            send(null, "Browser.close", Map.of());
        }
        catch (RuntimeException alreadyGone) {
            // the process is stopped below either way
        }
        socket.abort();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> files = Files.walk(profile)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
        catch (IOException | UncheckedIOException leftForTheTempCleaner) {
            // a profile Chromium still writes to is left behind; it holds nothing of value
        }
    }

    private JsonNode send(String sessionId, String method, Map<String, ?> params) {
        long id = nextId.incrementAndGet();
        ObjectNode message = MAPPER.createObjectNode().put("id", id).put("method", method);
        message.set("params", MAPPER.valueToTree(params));
        if (sessionId != null) {
            message.put("sessionId", sessionId);
        }
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        try {
            synchronized (socket) {
                socket.sendText(message.toString(), true).get(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
            JsonNode response = answer.get(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            if (response.has("error")) {
                throw new IllegalStateException(method + " failed: " + response.get("error"));
            }
            return response.path("result");
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(method + " interrupted", e);
        }
        catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(method + " got no answer from Chromium", e);
        }
        finally {
            pending.remove(id);
        }
    }

    /** Collects text frames into whole messages and completes the command each one answers; events are not needed. */
    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                try {
                    JsonNode message = MAPPER.readTree(text);
                    if (message.has("id")) {
                        CompletableFuture<JsonNode> answer = pending.get(message.get("id").asLong());
                        if (answer != null) {
                            answer.complete(message);
                        }
                    }
                }
                catch (IOException e) {
                    throw new UncheckedIOException("Chromium sent something that is not JSON", e);
                }
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            pending.values().forEach(answer -> answer.completeExceptionally(error));
        }
    }

    /** One page. Methods that name a selector wait up to 10 s for the element to exist. */
    public final class Tab implements AutoCloseable {
        private final String targetId;
        private final String sessionId;

        private Tab(String targetId, String sessionId) {
            this.targetId = targetId;
            this.sessionId = sessionId;
        }

        /** The value of a JavaScript expression (promises awaited), as JSON; counts as a user gesture. */
        public JsonNode evaluate(String expression) {
            JsonNode result = command("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true,
                    "awaitPromise", true, "userGesture", true));
            if (result.has("exceptionDetails")) {
                JsonNode details = result.get("exceptionDetails");
                throw new IllegalStateException("'" + expression + "' threw " + details.path("exception").path("description").asText(
                        details.path("text").asText()));
            }
            JsonNode value = result.path("result").path("value");
            return value.isMissingNode() ? MAPPER.nullNode() : value;
        }

        /** Polls {@code expression} until it is truthy; a page that is navigating counts as not yet. */
        public void waitFor(String expression, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            String last = "never evaluated";
            while (System.nanoTime() < deadline) {
                try {
                    if (evaluate("!!(" + expression + ")").asBoolean()) {
                        return;
                    }
                    last = "false";
                }
                catch (IllegalStateException navigatingOrNotYetDefined) {
                    last = navigatingOrNotYetDefined.getMessage();
                }
                sleep(100);
            }
            throw new AssertionError("not true within " + timeout + ": " + expression + " (last: " + last + ")");
        }

        /** Loads {@code url} in this tab, as typing it in the address bar would. */
        public void navigate(String url) {
            command("Page.navigate", Map.of("url", url));
        }

        /** Reloads the page, as the reload button would. */
        public void reload() {
            command("Page.reload", Map.of());
        }

        /** A real mouse click in the middle of the element, scrolled into view first. */
        public void click(String selector) {
            JsonNode centre = centreOf(selector);
            double x = centre.get("x").asDouble();
            double y = centre.get("y").asDouble();
            command("Input.dispatchMouseEvent", Map.of("type", "mouseMoved", "x", x, "y", y));
            command("Input.dispatchMouseEvent", Map.of("type", "mousePressed", "x", x, "y", y, "button", "left", "clickCount", 1));
            command("Input.dispatchMouseEvent", Map.of("type", "mouseReleased", "x", x, "y", y, "button", "left", "clickCount", 1));
        }

        /** Clicks into the field and types {@code text} as keyboard input. */
        public void type(String selector, String text) {
            click(selector);
            command("Input.insertText", Map.of("text", text));
        }

        /** Scrolls to a fraction (0..1) of the page's scrollable height and lets the scroll events fire. */
        public void scrollTo(double fraction) {
            evaluate("window.scrollTo(0, Math.round((document.documentElement.scrollHeight - window.innerHeight) * " + fraction + "))");
            nextFrames();
        }

        /** Emulates a screen of this size; {@code mobile} also turns on the mobile viewport rules. */
        public void setViewport(int viewportWidth, int viewportHeight, boolean mobile) {
            command("Emulation.setDeviceMetricsOverride", Map.of("width", viewportWidth, "height", viewportHeight,
                    "deviceScaleFactor", 1, "mobile", mobile));
        }

        /** Saves what the viewport shows as a PNG. */
        public void screenshot(Path file) {
            String data = command("Page.captureScreenshot", Map.of("format", "png")).path("data").asText();
            try {
                Files.createDirectories(file.toAbsolutePath().getParent());
                Files.write(file, Base64.getDecoder().decode(data));
            }
            catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() {
            send(null, "Target.closeTarget", Map.of("targetId", targetId));
        }

        private JsonNode command(String method, Map<String, ?> params) {
            return send(sessionId, method, params);
        }

        private JsonNode centreOf(String selector) {
            String quoted = MAPPER.valueToTree(selector).toString();
            waitFor("document.querySelector(" + quoted + ")", ELEMENT_TIMEOUT);
            JsonNode centre = evaluate("(() => { const element = document.querySelector(" + quoted + ");"
                    + " element.scrollIntoView({block: 'center', inline: 'center'});"
                    + " const box = element.getBoundingClientRect();"
                    + " return new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() =>"
                    + " done({x: box.left + box.width / 2, y: box.top + box.height / 2, width: box.width, height: box.height})))); })()");
            if (centre.get("width").asDouble() == 0 || centre.get("height").asDouble() == 0) {
                throw new IllegalStateException(selector + " is not visible, so it cannot be clicked");
            }
            return centre;
        }

        private void nextFrames() {
            evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 50))))");
        }

        private void sleep(long millis) {
            try {
                Thread.sleep(millis);
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
