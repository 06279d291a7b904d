# eRm checks beyond ../shared/reference (run by hand: Rscript erm_extra_irt.R > erm_extra_irt.json)
# R 4.2.2, eRm 1.0-2. Paths are relative to tests/data/.
suppressMessages(library(eRm))
suppressWarnings({
X <- read.csv("raschdat1.csv")[, 1:8]
g <- c(rep(1, 50), rep(2, 50))
X$I3[g == 2] <- 0                      # I3 never 1 in group 2: eRm drops it everywhere
fit <- RM(X)
lr1 <- LRtest(fit, splitcr = g)
P <- read.csv("pcmdat2.csv")
grp <- rep(1:2, 150)
P$I1[grp == 2 & P$I1 == 2] <- 1         # I1 lacks category 2 in group 2
pf <- PCM(P)
lr2 <- LRtest(pf, splitcr = grp)
w2 <- Waldtest(pf, splitcr = grp)
B <- read.csv("bfi.csv")[, c("N1", "N2", "N3", "N4", "N5")] - 1
lr3 <- LRtest(RSM(B), splitcr = "mean")  # mean split with missing answers
})
out <- list(
  rm_excluded = list(lr = lr1$LR, df = lr1$df, loglik_full = fit$loglik,
                     loglik_groups = lr1$likgroup),
  pcm_excluded = list(lr = lr2$LR, df = lr2$df, loglik_groups = lr2$likgroup,
                      wald_z = unname(w2$coef.table[, 1]),
                      wald_names = sub("beta ", "", rownames(w2$coef.table))),
  bfi_rsm_mean = list(lr = lr3$LR, df = lr3$df, loglik_groups = lr3$likgroup))
cat(jsonlite::toJSON(out, digits = 15, auto_unbox = TRUE, pretty = TRUE))
