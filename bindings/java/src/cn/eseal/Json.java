package cn.eseal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small reader of JSON (RFC 8259) for the report eseal writes: objects become maps, arrays
 * lists, numbers doubles. The JDK has no JSON parser and the binding takes no dependency
 * beyond JNA.
 */
final class Json {
    private final String text;
    private int at;

    private Json(String text) {
        this.text = text;
    }

    /** The value {@code text} holds; IllegalArgumentException when it is not JSON. */
    static Object parse(String text) {
        Json json = new Json(text);
        Object value = json.value();
        json.space();
        if (json.at != text.length()) {
            throw json.error("trailing characters");
        }
        return value;
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("bad JSON at " + at + ": " + what);
    }

    private void space() {
        while (at < text.length() && " \t\r\n".indexOf(text.charAt(at)) >= 0) {
            at++;
        }
    }

    private char next() {
        if (at >= text.length()) {
            throw error("unexpected end");
        }
        return text.charAt(at++);
    }

    private void expect(String word) {
        if (!text.startsWith(word, at)) {
            throw error("expected " + word);
        }
        at += word.length();
    }

    private Object value() {
        space();
        char c = next();
        switch (c) {
            case '{':
                return object();
            case '[':
                return array();
            case '"':
                return string();
            case 't':
                expect("rue");
                return Boolean.TRUE;
            case 'f':
                expect("alse");
                return Boolean.FALSE;
            case 'n':
                expect("ull");
                return null;
            default:
                at--;
                return number();
        }
    }

    private Map<String, Object> object() {
        Map<String, Object> map = new LinkedHashMap<>();
        space();
        if (text.startsWith("}", at)) {
            at++;
            return map;
        }
        do {
            space();
            if (next() != '"') {
                throw error("expected a key");
            }
            String key = string();
            space();
            if (next() != ':') {
                throw error("expected ':'");
            }
            map.put(key, value());
            space();
        } while (comma('}'));
        return map;
    }

    private List<Object> array() {
        List<Object> list = new ArrayList<>();
        space();
        if (text.startsWith("]", at)) {
            at++;
            return list;
        }
        do {
            list.add(value());
            space();
        } while (comma(']'));
        return list;
    }

    /** True after a comma, false after {@code close}. */
    private boolean comma(char close) {
        char c = next();
        if (c == ',') {
            return true;
        }
        if (c != close) {
            throw error("expected ',' or '" + close + "'");
        }
        return false;
    }

    private String string() {
        StringBuilder out = new StringBuilder();
        for (char c = next(); c != '"'; c = next()) {
            if (c < 0x20) {
                throw error("control character in a string");
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"': case '\\': case '/':
                    out.append(e);
                    break;
                case 'b': out.append('\b'); break;
                case 'f': out.append('\f'); break;
                case 'n': out.append('\n'); break;
                case 'r': out.append('\r'); break;
                case 't': out.append('\t'); break;
                case 'u':
                    if (at + 4 > text.length()) {
                        throw error("short \\u escape");
                    }
                    try {
                        out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                    } catch (NumberFormatException bad) {
                        throw error("bad \\u escape");
                    }
                    at += 4;
                    break;
                default:
                    throw error("bad escape");
            }
        }
        return out.toString();
    }

    private Double number() {
        int start = at;
        while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
            at++;
        }
        try {
            return Double.valueOf(text.substring(start, at));
        } catch (NumberFormatException bad) {
            throw error("expected a value");
        }
    }
}
