# make demo: fit the faithful data, print the summary, draw the classification.
library(softmix)
set.seed(2026)
fit <- softmix(faithful, k = 2, model = "VVV", n_threads = 2)
print(summary(fit))
png("softmix-demo.png", width = 800, height = 700, res = 110)
plot(fit, what = "classification")
invisible(dev.off())
cat("\nWrote softmix-demo.png\n")
