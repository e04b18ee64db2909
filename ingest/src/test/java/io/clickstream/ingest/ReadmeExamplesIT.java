package io.clickstream.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's examples of sending events, run as written with bash and curl against the real HTTP server: each
 * answer must read as the comment under its command shows it ({@code ...} stands for the text left out there).
 * Only the address (the README's {@code 127.0.0.1:8080}) and the key (the local stack's file) are this test's.
 */
class ReadmeExamplesIT {
    private static final Path README = Path.of("..", "README.md");
    private static final String MARK = "<<<answer-end>>>";
    private static final Pattern BLOCK = Pattern.compile("```bash\\n(.*?)```", Pattern.DOTALL);

    /** A README block of commands, and for each curl in it the answer its comment shows (null when none). */
    record Example(String script, List<String> answers) {}

    @Test
    void theReadmesSendingExamplesWorkAsWritten() throws Exception {
        List<Example> examples = sendingExamples(Files.readString(README));
        assertTrue(examples.size() >= 2, "the README's sending examples were not found: " + examples);
        int checked = 0;
        try (InProcessIngest ingest = new InProcessIngest()) {
            for (Example example : examples) {
                List<String> outputs = run(example.script().replace("http://127.0.0.1:8080", ingest.url()));
                assertEquals(example.answers().size(), outputs.size(), "one answer per curl:\n" + example.script() + "\n" + outputs);
                for (int i = 0; i < outputs.size(); i++) {
                    String expected = example.answers().get(i);
                    if (expected != null) {
                        assertTrue(shownAs(expected).matcher(outputs.get(i).replaceAll("\\s+", "")).matches(),
                                "the README shows\n  " + expected + "\nbut ingest answered\n  " + outputs.get(i) + "\nfor\n" + example.script());
                        checked++;
                    }
                }
            }
            assertTrue(checked >= 3, "answers checked: " + checked);
            assertTrue(ingest.sink.on("good").size() >= 2, "the accepted examples were stored");
        }
    }

    /** The bash blocks that send to the event routes; the line that reads the local stack's key is left out. */
    static List<Example> sendingExamples(String readme) {
        List<Example> examples = new ArrayList<>();
        Matcher block = BLOCK.matcher(readme);
        while (block.find()) {
            String text = block.group(1);
            if (!text.contains("curl") || !text.contains("127.0.0.1:8080/v1/")) {
                continue;
            }
            StringBuilder script = new StringBuilder();
            List<String> answers = new ArrayList<>();
            StringBuilder answer = null;
            for (String line : text.split("\n", -1)) {
                if (line.startsWith("KEY=")) {
                    continue;
                }
                if (line.startsWith("curl ")) {
                    answer = null;
                    answers.add(null);
                }
                else if (line.startsWith("# {") && !answers.isEmpty()) {
                    answer = new StringBuilder(line.substring(2));
                    answers.set(answers.size() - 1, answer.toString());
                    continue;
                }
                else if (line.startsWith("#") && answer != null) {
                    answer.append(line.substring(1).strip());
                    answers.set(answers.size() - 1, answer.toString());
                    continue;
                }
                script.append(line).append('\n');
            }
            examples.add(new Example(script.toString(), answers));
        }
        return examples;
    }

    /** The pattern of an answer as the README shows it, whitespace left out (as of the answer matched): {@code ...} matches any text. */
    static Pattern shownAs(String shown) {
        StringBuilder pattern = new StringBuilder();
        for (String part : shown.strip().split("\\.\\.\\.", -1)) {
            if (!pattern.isEmpty()) {
                pattern.append(".*?");
            }
            pattern.append(Pattern.quote(part.replaceAll("\\s+", "")));
        }
        return Pattern.compile(pattern.toString(), Pattern.DOTALL);
    }

    /** Runs the commands with bash; returns each curl's output. */
    private static List<String> run(String script) throws IOException, InterruptedException {
        String prelude = "set -eu\nKEY='" + InProcessIngest.WRITE_KEY + "'\ncurl() { command curl --max-time 30 \"$@\"; printf '\\n" + MARK + "\\n'; }\n";
        Process process = new ProcessBuilder("bash", "-c", prelude + script).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the example did not finish");
        assertEquals(0, process.exitValue(), "the example failed:\n" + script + "\n" + output);
        List<String> outputs = new ArrayList<>(List.of(output.split(Pattern.quote(MARK) + "\\n?", -1)));
        outputs.remove(outputs.size() - 1);
        return outputs.stream().map(String::strip).toList();
    }
}
