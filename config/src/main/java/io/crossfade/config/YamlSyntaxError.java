package io.crossfade.config;

import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Where a YAML syntax error is and one sentence about it, from SnakeYAML's exception. SnakeYAML
 * marks the token where it gave up, which for an unclosed bracket or quote is the end of the file or
 * the next line, one past the fault; and its message is a multi-line dump with a caret drawing. This
 * points at the line a user must fix and says it in one line with a short excerpt of that line.
 */
record YamlSyntaxError(int line, String reason) {

    private static final int EXCERPT_CHARS = 60;

    /** The error in {@code content} that {@code cause} (or one of its causes) reports; null when none is a YAML one. */
    static YamlSyntaxError of(Throwable cause, String content) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof MarkedYAMLException marked && marked.getProblemMark() != null) {
                return of(marked, content);
            }
        }
        return null;
    }

    private static YamlSyntaxError of(MarkedYAMLException e, String content) {
        String[] lines = content.split("\r\n|\r|\n", -1);
        Mark problem = e.getProblemMark();
        Mark context = e.getContextMark();
        String contextText = e.getContext() == null ? null : oneLine(e.getContext());
        int line;
        // An unclosed flow collection or quoted scalar: the fault is where it opened, not where the
        // parser ran out of text.
        if (context != null && contextText != null
                && (contextText.contains("flow") || contextText.contains("quoted scalar"))) {
            line = context.getLine() + 1;
        } else {
            line = problem.getLine() + 1;
        }
        line = Math.min(line, lastNonBlankLine(lines));
        StringBuilder reason = new StringBuilder("not valid YAML: ").append(oneLine(e.getProblem()));
        if (contextText != null && !contextText.isEmpty()) {
            reason.append(" (").append(contextText);
            if (context != null) {
                reason.append(" that starts at line ").append(context.getLine() + 1)
                        .append(", column ").append(context.getColumn() + 1);
            }
            reason.append(')');
        }
        if (line >= 1 && line <= lines.length && !lines[line - 1].isBlank()) {
            String text = lines[line - 1].strip();
            reason.append(" near \"").append(text.length() > EXCERPT_CHARS ? text.substring(0, EXCERPT_CHARS) + "…" : text)
                    .append('"');
        }
        return new YamlSyntaxError(Math.max(line, 0), reason.toString());
    }

    private static int lastNonBlankLine(String[] lines) {
        for (int i = lines.length; i >= 1; i--) {
            if (!lines[i - 1].isBlank()) {
                return i;
            }
        }
        return 1;
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").strip();
    }
}
