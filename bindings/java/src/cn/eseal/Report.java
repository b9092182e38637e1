package cn.eseal;

import java.util.ArrayList;
import java.util.List;

/**
 * A verification report: the worst indication, the verdict of each signature found and the
 * report as JSON (as {@code eseal verify --json} prints it). It holds no native memory.
 */
public final class Report {
    private final Indication indication;
    private final List<Signature> signatures;
    private final String json;

    Report(Indication indication, List<Signature> signatures, String json) {
        this.indication = indication;
        this.signatures = List.copyOf(signatures);
        this.json = json;
    }

    /** The worst indication over all signatures; NOTHING_SIGNED when none was found. */
    public Indication indication() {
        return indication;
    }

    /** True when the report is TOTAL-PASSED. */
    public boolean passed() {
        return indication == Indication.TOTAL_PASSED;
    }

    /** The verdict of each signature, in the order of the document. */
    public List<Signature> signatures() {
        return signatures;
    }

    /** The sub-indication of the first signature that has one, or null. */
    public String subIndication() {
        for (Signature s : signatures) {
            if (s.subIndication() != null) {
                return s.subIndication();
            }
        }
        return null;
    }

    /** The reason codes of all signatures, in order. */
    public List<String> reasons() {
        List<String> all = new ArrayList<>();
        for (Signature s : signatures) {
            all.addAll(s.reasons());
        }
        return List.copyOf(all);
    }

    /** The signers of all signatures that name one, in order. */
    public List<String> signers() {
        List<String> all = new ArrayList<>();
        for (Signature s : signatures) {
            if (s.signer() != null) {
                all.add(s.signer());
            }
        }
        return List.copyOf(all);
    }

    /** The report as JSON, as {@code eseal verify --json} prints it. */
    public String json() {
        return json;
    }
}
