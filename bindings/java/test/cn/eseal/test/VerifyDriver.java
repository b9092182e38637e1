package cn.eseal.test;

import cn.eseal.EsealException;
import cn.eseal.Report;
import cn.eseal.Signature;
import cn.eseal.Verifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Verifies files and licence QR strings with the Java binding and prints one JSON line per
 * target: its indication and, per signature, indication, sub-indication, reason codes and
 * signer.
 *
 * <pre>
 * VerifyDriver [--trust F]... [--chain F]... [--crl F]... [--trust-list F]... [--status-list F]...
 *              TARGET...
 * </pre>
 *
 * A TARGET starting with {@code ZZ1:} is a QR string, verified with {@code verify(String)};
 * anything else is a file, verified with {@code verify(byte[])}. Exits 0 when every target
 * was verified (whatever the verdict), 65 when a call failed.
 */
public final class VerifyDriver {
    private VerifyDriver() {}

    public static void main(String[] args) throws IOException {
        List<String[]> trust = new ArrayList<>();
        List<String> targets = new ArrayList<>();
        for (int k = 0; k < args.length; k++) {
            if (args[k].startsWith("--") && k + 1 < args.length) {
                trust.add(new String[] {args[k], args[++k]});
            } else {
                targets.add(args[k]);
            }
        }
        try (Verifier verifier = new Verifier()) {
            // Certificates and CRLs first: a trust list is verified against the anchors.
            for (String option :
                    new String[] {"--trust", "--chain", "--crl", "--trust-list", "--status-list"}) {
                for (String[] given : trust) {
                    if (given[0].equals(option)) {
                        add(verifier, option, Files.readAllBytes(Path.of(given[1])));
                    }
                }
            }
            for (String target : targets) {
                Report report =
                        target.startsWith("ZZ1:")
                                ? verifier.verify(target)
                                : verifier.verify(Files.readAllBytes(Path.of(target)));
                System.out.println(line(target.startsWith("ZZ1:") ? "QR" : target, report));
            }
        } catch (EsealException e) {
            System.err.println("VerifyDriver: " + e.getMessage() + " (status " + e.status() + ")");
            System.exit(65);
        }
    }

    private static void add(Verifier verifier, String option, byte[] data) throws EsealException {
        switch (option) {
            case "--trust" -> verifier.addAnchors(data);
            case "--chain" -> verifier.addIntermediates(data);
            case "--crl" -> verifier.addCrl(data);
            case "--trust-list" -> verifier.addTrustList(data);
            default -> verifier.addStatusList(data);
        }
    }

    /** The report of {@code target} as one JSON line. */
    private static String line(String target, Report report) {
        StringBuilder out = new StringBuilder("{\"input\":").append(quote(target));
        out.append(",\"indication\":").append(quote(report.indication().toString()));
        out.append(",\"reasons\":").append(array(report.reasons()));
        out.append(",\"signatures\":[");
        String comma = "";
        for (Signature s : report.signatures()) {
            out.append(comma).append("{\"kind\":").append(quote(s.kind()));
            out.append(",\"indication\":").append(quote(s.indication().toString()));
            out.append(",\"sub_indication\":").append(quote(s.subIndication()));
            out.append(",\"reasons\":").append(array(s.reasons()));
            out.append(",\"signer\":").append(quote(s.signer())).append('}');
            comma = ",";
        }
        return out.append("]}").toString();
    }

    private static String array(List<String> items) {
        List<String> quoted = new ArrayList<>();
        for (String item : items) {
            quoted.add(quote(item));
        }
        return "[" + String.join(",", quoted) + "]";
    }

    private static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
